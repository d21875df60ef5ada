"""scripts/_wrk.py: the benchmark's wrk runner sends load_test.py's mix of searches and reads wrk's figures."""
import re
import shutil
import sys
from pathlib import Path

import pytest

from test_production_server import free_port, start, stop, wait_ready

from scripts.wrk import lua_requests, lua_string, run_wrk  # noqa: E402


def test_the_requests_are_four_posts_to_one_get():
    table = lua_requests(["a", "b", "c", "d", "why do i feel this way?"], k=3)
    assert table.count('method = "POST"') == 4 and table.count('method = "GET"') == 1
    assert re.search(r'path = "/v1/search\?q=why%20do%20i%20feel%20this%20way%3F&k=3"', table)


def test_lua_literals_escape_quotes_backslashes_and_every_non_ascii_byte():
    assert lua_string('she said "stop" \\ caf\u00e9') == r'"she said \"stop\" \\ caf\195\169"'
    assert lua_string("line\nbreak") == r'"line\010break"'


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_wrk_loads_the_real_server_and_reports_latency_throughput_and_errors(small_index_dir):
    port = free_port()
    process = start([sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port)], small_index_dir, port)
    try:
        wait_ready(f"http://127.0.0.1:{port}", process)
        worries = ["i cannot sleep", 'she said "you are too much"', "caf\u00e9 worries \u2019n stuff", "my dog died", "why?"]
        figures = run_wrk(f"http://127.0.0.1:{port}", worries, 2, 4)  # any escaping slip would be a 422
    finally:
        stop(process)
    assert figures["tool"] == "wrk" and figures["errors"] == {}
    assert figures["ok"] > 10 and figures["throughput_rps"] > 0
    assert 0 < figures["latency_ms"]["p50"] <= figures["latency_ms"]["p95"] <= figures["latency_ms"]["p99"]


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_a_server_that_is_not_there_is_a_clear_error_not_a_row_of_zeros():
    port = free_port()  # nothing listens there
    with pytest.raises(RuntimeError, match="unable to connect"):
        run_wrk(f"http://127.0.0.1:{port}", ["i cannot sleep"], 1, 2)
