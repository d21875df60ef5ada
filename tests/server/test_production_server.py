"""The real server processes, on loopback, against the small index: what operators and logs see.

- `scripts/serve.py` writes one JSON object per line and never the worry, and on SIGTERM drains:
  /readyz turns 503 while everything else is served, then a request already in flight is finished
  before the process exits.
- A plain `uvicorn api.main:app` (its access log on, as people run it) never prints `?q=...`.
"""
import json
import signal
import socket
import sys
import time

import httpx

from tests.server.processes import free_port, start, stop, wait_ready

WORRY = "zebrafish worry about my counselor"  # a marker word that appears in no log line by itself


def send_worries(base: str) -> None:
    assert httpx.get(f"{base}/", params={"q": WORRY}, timeout=30).status_code == 200
    assert httpx.get(f"{base}/v1/search", params={"q": WORRY, "k": 2}, timeout=30).status_code == 200
    assert httpx.post(f"{base}/v1/search", json={"query": WORRY}, timeout=30).status_code == 200


def test_serve_logs_json_without_worries_and_drains_on_sigterm(small_index_dir):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start([sys.executable, "scripts/serve.py"], small_index_dir, port, SHUTDOWN_DRAIN_S="2")
    try:
        wait_ready(base, process)
        send_worries(base)
        body = json.dumps({"query": WORRY, "k": 2}).encode()
        in_flight = socket.create_connection(("127.0.0.1", port))
        in_flight.sendall(b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:10])
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        draining = httpx.get(f"{base}/readyz", timeout=5)
        assert draining.status_code == 503 and draining.json()["status"] == "draining"
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        time.sleep(2.5)  # past the drain: uvicorn now refuses new connections and waits for this one
        in_flight.sendall(body[10:])
        in_flight.settimeout(20)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < 10:
            chunk = in_flight.recv(65536)
            if not chunk:
                break
            answer += chunk
        in_flight.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        process.wait(timeout=30)
    finally:
        output = stop(process)
    lines = [line for line in output.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    access = [e for e in entries if e["logger"] == "counsel_search.access"]
    assert {"/", "/v1/search", "/readyz", "/healthz"} <= {e["route"] for e in access}
    assert all(e["request_id"] and isinstance(e["latency_ms"], float) for e in access)
    assert "zebrafish" not in output


def test_plain_uvicorn_access_log_never_prints_the_query(small_index_dir):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start([sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port)], small_index_dir, port)
    try:
        wait_ready(base, process)
        send_worries(base)
    finally:
        output = stop(process)
    assert "/v1/search" in output and "zebrafish" not in output


def test_a_first_start_on_a_fresh_machine_logs_each_line_once_as_json(small_corpus_csv, tmp_path):
    """A newcomer's first `scripts/serve.py`: no index, an empty HOME and MODEL_CACHE_DIR, so it builds
    and derives the int8 graph first (ONNX Runtime's quantisation tooling logs through the root logger
    then, which made every later line print twice, once as `INFO:uvicorn.error:...`; issue 17)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    (tmp_path / "home").mkdir()
    process = start([sys.executable, "scripts/serve.py"], tmp_path / "index", port, HOME=str(tmp_path / "home"),
                    MODEL_CACHE_DIR=str(tmp_path / "models"), COUNSELCHAT_CSV=str(small_corpus_csv),
                    SHUTDOWN_DRAIN_S="0")
    try:
        wait_ready(base, process, seconds=180)
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        process.send_signal(signal.SIGTERM)  # as an operator stops it (Ctrl+C prints uvicorn's traceback)
        process.wait(timeout=30)
    finally:
        output = stop(process)
    assert any((tmp_path / "models").iterdir())  # the graph was derived in this run
    served = output[output.index("indexed "):].splitlines()[1:]  # after the build's own summary line
    assert [line for line in served if line.strip() and not line.startswith("{")] == [], output[-3000:]
    entries = [json.loads(line) for line in served if line.strip()]
    health = [e for e in entries if e.get("route") == "/healthz"]
    assert len(health) == 1 and any(e["message"].startswith("Application startup") for e in entries)
