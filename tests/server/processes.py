"""Starting and stopping real server processes on loopback, shared by the tests of this folder."""
import os
import signal
import socket
import subprocess
from pathlib import Path

from scripts.load_test import wait_ready as wait_until_ready

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
    """Until /readyz answers 200 (the load test's own wait), failing the test with the server's output."""
    try:
        wait_until_ready(base, process, seconds)
    except SystemExit as failed:
        output = process.stdout.read() if process.stdout and process.poll() is not None else ""
        raise AssertionError(f"{failed}\n{output}") from None


def stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output
