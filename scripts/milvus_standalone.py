"""Run a command beside a real Milvus standalone server (the PyPI `milvus==2.3.5` package).

    unshare -n python scripts/milvus_standalone.py [--data DIR] -- COMMAND...

The server listens on several fixed ports (19530, 9091, 2379, 53100...), so it is meant to run in a
private network namespace (`unshare -n`, as root) where only loopback exists and nothing else on a
shared machine can clash with it. This script brings loopback up, starts the server in a fresh
data directory, waits for http://127.0.0.1:9091/healthz, runs COMMAND with
COUNSEL_MILVUS_URI=http://127.0.0.1:19530 in its environment, stops the server by the PID of the
`milvus` process (it ignores SIGINT: SIGTERM, then SIGKILL after a few seconds) and exits with
COMMAND's exit code. Used by tests/server/test_milvus_standalone.py and benchmarks/bench_milvus.py.
"""
from __future__ import annotations

import argparse
import fcntl
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

URI = "http://127.0.0.1:19530"
HEALTH_URL = "http://127.0.0.1:9091/healthz"
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def bring_loopback_up() -> None:
    """`ip link set lo up`, without needing iproute2: a new network namespace starts with lo down."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        if not flags & IFF_UP:
            fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, b""))


def wait_healthy(process: subprocess.Popen, timeout_s: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if process.poll() is not None:
            raise RuntimeError(f"milvus exited with code {process.returncode} while starting")
        try:
            with urllib.request.urlopen(HEALTH_URL, timeout=2) as response:
                if b"OK" in response.read():
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"milvus was not healthy after {timeout_s:.0f} s")


def stop(process: subprocess.Popen, grace_s: float = 5.0) -> None:
    """SIGTERM the milvus process, SIGKILL it if it is still there after `grace_s`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def standalone_server(data_dir: Path, timeout_s: float = 120.0) -> Iterator[str]:
    """A running standalone server with its data in `data_dir`; yields its URI."""
    from milvus import MilvusServer, MilvusServerConfig  # the `milvus` package: the server binary

    server = MilvusServer(MilvusServerConfig(), wait_for_started=False)
    server.set_base_dir(str(data_dir))
    server.start()  # decompresses the binary into data_dir/bin and spawns `milvus run standalone`
    process = server.server_proc
    try:
        seconds = wait_healthy(process, timeout_s)
        print(f"milvus standalone healthy after {seconds:.1f} s (pid {process.pid})", file=sys.stderr, flush=True)
        yield URI
    finally:
        stop(process)
        server.server_proc = None  # already stopped; keeps MilvusServer.__del__ from signalling a reused pid
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="server data directory (default: a fresh temporary one)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the server to be healthy")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND to run while the server runs")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run after --")
    bring_loopback_up()
    with tempfile.TemporaryDirectory(prefix="milvus-standalone-") as scratch:
        with standalone_server(args.data or Path(scratch), args.timeout) as uri:
            return subprocess.run(command, env=os.environ | {"COUNSEL_MILVUS_URI": uri}).returncode


if __name__ == "__main__":
    sys.exit(main())
