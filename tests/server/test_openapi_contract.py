"""The OpenAPI document and the running service agree, checked the way issue 22 found they did not:
schemathesis' own command line with `--checks all` (every check, not only the defaults) against a
real server on loopback (`uvicorn api.main:app --http api.server:JsonErrorsProtocol`, as
scripts/serve.py runs it) on the small index. Zero failures allowed.

Bounded: 100 cases at most per operation and phase, a fixed seed (the same cases every run, about
800 of them, ~30 s here), and a timeout. The admin route is left out: it swaps the serving index
(tests/unit/test_admin_auth.py and tests/model/test_reload_api.py test it).
"""
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.server.processes import free_port, start, stop, wait_ready

CONFIG = Path(__file__).with_name("schemathesis.toml")
SERVER = [sys.executable, "-m", "uvicorn", "api.main:app", "--http", "api.server:JsonErrorsProtocol"]
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
OPERATIONS = 13  # every route of the API but the admin one


def serve(index_dir: Path, log: Path):
    port = free_port()
    process = start(SERVER + ["--port", str(port)], index_dir, port, log=log, RELOAD_POLL_SECONDS="0")
    return process, f"http://127.0.0.1:{port}"


def test_schemathesis_all_checks_find_nothing(small_index_dir, tmp_path):
    process, base = serve(small_index_dir, tmp_path / "server.log")
    try:
        wait_ready(base, process)
        run = subprocess.run(
            [SCHEMATHESIS, "--config-file", str(CONFIG), "run", f"{base}/openapi.json", "--checks", "all",
             "--exclude-path-regex", "^/v1/admin", "--max-examples", "100", "--seed", "22", "--workers", "1",
             "--report", "junit", "--report-junit-path", str(tmp_path / "junit.xml")],
            capture_output=True, text=True, timeout=300, cwd=tmp_path)  # its cache folder goes there
    finally:
        stop(process)
    summary = run.stdout[-3000:]
    assert run.returncode == 0, summary
    tested = re.search(r"Tested: (\d+)", summary)
    cases = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert tested and int(tested.group(1)) == OPERATIONS, summary
    assert cases and int(cases.group(1)) == int(cases.group(2)) >= 500, summary


def raw_get(port: int, target: bytes) -> bytes:
    """Send one GET with this request target and read the whole answer (the server closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_an_over_long_url_gets_the_json_error_shape(small_index_dir, tmp_path):
    process, base = serve(small_index_dir, tmp_path / "server.log")
    try:
        wait_ready(base, process)
        port = int(base.rsplit(":", 1)[1])
        for size in (70_000, 1_000_000):  # over what the HTTP parser can take; the second still being sent
            answer = raw_get(port, b"/v1/search?q=" + b"a" * size)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 414 "), head
            assert b"content-type: application/json" in head.lower()
            assert "65,535 bytes" in httpx.Response(414, content=body).json()["detail"]
        # Just under that, the app itself answers: the query is over MAX_QUERY_CHARS.
        under = httpx.get(f"{base}/v1/search", params={"q": "a" * 60_000}, timeout=30)
        assert under.status_code == 422 and "limit is 2000" in under.json()["detail"]
        not_http = raw_get(port, b"/v1/search?q=\x01 bad")  # not HTTP/1.1: answered in the same shape
        assert not_http.startswith(b"HTTP/1.1 400 ") and b"content-type: application/json" in not_http.lower()
    finally:
        stop(process)
