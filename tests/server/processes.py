"""Starting and stopping real server processes on loopback, shared by the tests of this folder."""
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], index_dir: Path, port: int, *, log: Path | None = None, **env) -> subprocess.Popen:
    """Start a server; its output is read by `stop`, or goes to `log` (a busy server fills a pipe nobody reads)."""
    environment = {**os.environ, "INDEX_DIR": str(index_dir), "HOST": "127.0.0.1", "PORT": str(port),
                   "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **env}
    output = open(log, "w") if log is not None else subprocess.PIPE
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT, text=True)


def wait_ready(base: str, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else "the server exited"
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("the server did not become ready")


def stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output
