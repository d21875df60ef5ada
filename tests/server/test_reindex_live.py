"""Reindexing against real processes: a build killed mid-embedding, a concurrent build, and a live
API server swapping versions under a steady stream of searches."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from index.builder import build_index
from index.corpus import load_corpus
from index.layout import current_version_dir, list_versions, switch_current
from index.loader import load_index
from tests.conftest import write_csv
from tests.server.test_production_server import free_port, start, wait_ready

ROOT = Path(__file__).resolve().parents[2]
BUILD = [sys.executable, str(ROOT / "scripts" / "build_index.py")]
SLOW_BUILD = [sys.executable, str(ROOT / "tests" / "server" / "slow_build.py")]
MODEL = "all-MiniLM-L6-v2"
ENV = os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TQDM_DISABLE": "1"}


def more_rows(rows, n):
    """The small corpus plus `n` extra answers (distinct texts) to the existing questions."""
    extra = []
    for i in range(n):
        base = rows[i % len(rows)]
        extra.append(dict(base, therapistInfo=f"Extra Person {i}Licensed Counselor",
                          therapistURL=f"https://counselchat.com/therapists/extra-{i}",
                          answerText=f"Answer number {i}. Take things one step at a time and be kind to "
                                     f"yourself. Small habits repeated daily matter more than one big change."))
    return rows + extra


@pytest.fixture
def built(tmp_path, small_rows, embedder):
    index_dir = tmp_path / "index"
    first = build_index(load_corpus(write_csv(tmp_path / "v1.csv", small_rows)), embedder, index_dir,
                        model_name=MODEL, passage_tokens=32)
    return index_dir, first


def wait_for_file(path, process, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    raise AssertionError(f"{path} never appeared")


def start_slow_build(tmp_path, index_dir, data, name):
    marker = tmp_path / f"{name}.embedding"
    process = subprocess.Popen(SLOW_BUILD + [str(marker), "--data", str(data), "--index-dir", str(index_dir),
                                             "--model", MODEL, "--passage-tokens", "32", "--incremental", "--json"],
                               env=ENV, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_file(marker, process)
    return process


def test_a_killed_build_leaves_current_serving_a_concurrent_build_is_refused_and_the_next_succeeds(
        built, tmp_path, small_rows):
    index_dir, first = built
    data = write_csv(tmp_path / "v2.csv", more_rows(small_rows, 40))
    build = [*BUILD, "--data", str(data), "--index-dir", str(index_dir), "--model", MODEL, "--passage-tokens", "32",
             "--incremental", "--json"]

    slow = start_slow_build(tmp_path, index_dir, data, "killed")  # now inside the embedder's encode
    concurrent = subprocess.run(build, env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert concurrent.returncode == 1
    assert json.loads(concurrent.stdout)["status"] == "locked" and "another build is running" in concurrent.stderr

    slow.send_signal(signal.SIGKILL)
    slow.wait(timeout=30)
    assert current_version_dir(index_dir).name == first.version
    assert load_index(index_dir).manifest.version == first.version  # whole: checksums verified
    assert [v.name for v in list_versions(index_dir)] == [first.version]

    # SIGTERM (what cron's timeout or an orchestrator sends) ends the build cleanly with exit 1
    terminated = start_slow_build(tmp_path, index_dir, data, "terminated")
    terminated.send_signal(signal.SIGTERM)
    out, err = terminated.communicate(timeout=60)
    assert terminated.returncode == 1 and json.loads(out)["status"] == "interrupted"
    assert load_index(index_dir).manifest.version == first.version

    after = subprocess.run(build, env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert after.returncode == 0, after.stderr
    summary = json.loads(after.stdout)
    assert summary["added"] == 40 and summary["unchanged"] == first.answers
    assert load_index(index_dir).manifest.version == summary["version"] != first.version
    assert not [p for p in (index_dir / "versions").iterdir() if p.name.startswith(".")]


@pytest.fixture
def server(built, tmp_path, small_rows, embedder):
    """A uvicorn process serving the index (its log collected); a second version is built beside the first."""
    index_dir, first = built
    second = build_index(load_corpus(write_csv(tmp_path / "v2.csv", more_rows(small_rows, 3))), embedder, index_dir,
                         model_name=MODEL, passage_tokens=32, incremental=True)
    port = free_port()
    process = start([sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port)], index_dir, port,
                    ADMIN_TOKEN="live-token", RELOAD_POLL_SECONDS="0.5", EMBEDDING_MODEL=MODEL, TQDM_DISABLE="1")
    log: list[str] = []
    reader = threading.Thread(target=lambda: log.extend(process.stdout), daemon=True)  # keeps the pipe drained
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)
        yield base, index_dir, first, second
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        reader.join(timeout=10)


def test_versions_swap_under_a_steady_stream_of_searches_with_no_failed_request(server):
    base, index_dir, first, second = server
    assert httpx.get(f"{base}/v1/index").json()["version"] == second.version
    statuses: list[int] = []
    versions: set[str] = set()
    stop = threading.Event()

    def hammer(n):
        queries = ["is it normal to cry in therapy", "cannot sleep", "my dog died", "panic attacks"]
        with httpx.Client(base_url=base, timeout=30) as client:
            i = 0
            while not stop.is_set():
                if i % 2:
                    response = client.post("/v1/search", json={"query": queries[(i + n) % 4], "k": 5})
                else:
                    response = client.get("/v1/search", params={"q": queries[(i + n) % 4], "k": 3})
                statuses.append(response.status_code)
                if response.status_code == 200:
                    versions.add(response.json()["index_version"])
                i += 1

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    headers = {"Authorization": "Bearer live-token"}
    try:
        for target in [first, second, first, second]:  # admin reloads
            time.sleep(0.5)
            switch_current(index_dir, Path(target.path))
            response = httpx.post(f"{base}/v1/admin/reload?wait=true", headers=headers, timeout=60)
            assert response.status_code == 200 and response.json()["serving_version"] == target.version
        switch_current(index_dir, Path(first.path))  # and one the poll picks up on its own
        deadline = time.monotonic() + 20
        while httpx.get(f"{base}/v1/index").json()["version"] != first.version:
            assert time.monotonic() < deadline, "the poll never swapped the version in"
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert len(statuses) >= 30
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert versions == {first.version, second.version}
