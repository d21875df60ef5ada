"""WORKERS > 1: several server processes on one port, supervised by scripts/serve.py."""
import signal
import sys

import httpx
import psutil

from test_production_server import free_port, send_worries, start, stop, wait_ready
from tests.waiting import wait_for


def workers_of(process) -> list[psutil.Process]:
    """The live worker processes (not multiprocessing's resource tracker, not a zombie not yet reaped)."""
    alive = []
    for child in psutil.Process(process.pid).children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "resource_tracker" not in " ".join(child.cmdline()):
                alive.append(child)
        except psutil.Error:  # exited between the listing and the look
            pass
    return alive


def test_two_workers_serve_one_port_replace_a_dead_one_and_all_stop_on_sigterm(small_index_dir):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start([sys.executable, "scripts/serve.py"], small_index_dir, port, WORKERS="2", SHUTDOWN_DRAIN_S="1")
    try:
        wait_ready(base, process)
        # From the first ready answer on, no search meets a worker still loading its index (no 503).
        for _ in range(20):
            assert httpx.post(f"{base}/v1/search", json={"query": "can't sleep", "k": 2}, timeout=30).status_code == 200
        assert wait_for(lambda: len(workers_of(process)) == 2, timeout=60)
        send_worries(base)

        killed = workers_of(process)[0]
        killed.kill()
        assert wait_for(lambda: killed.pid not in [w.pid for w in workers_of(process)]
                        and len(workers_of(process)) == 2, timeout=60), "the dead worker was not replaced"
        wait_ready(base, process)
        for _ in range(10):  # connections land on either worker; all are answered
            assert httpx.post(f"{base}/v1/search", json={"query": "can't sleep", "k": 2}, timeout=30).status_code == 200

        workers = workers_of(process)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
    finally:
        output = stop(process)
    assert "starting a new one" in output
