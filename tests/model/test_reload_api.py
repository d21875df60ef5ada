"""The running API follows `current`: an admin reload or the poll swaps a new version in; a broken
version is refused, reported on /readyz and /v1/index, and the old one keeps serving."""
import shutil

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from index.builder import build_index
from index.corpus import load_corpus
from index.layout import current_version_dir, new_version_name, rollback, switch_current, versions_dir
from index.loader import load_index
from retriever.service import SearchService
from settings import Settings
from tests.conftest import write_csv
from tests.waiting import wait_for

MODEL = "all-MiniLM-L6-v2"
TOKEN = {"Authorization": "Bearer test-admin-token"}


@pytest.fixture
def index_dir(tmp_path, small_rows, embedder):
    build_index(load_corpus(write_csv(tmp_path / "v1.csv", small_rows)), embedder, tmp_path / "index",
                model_name=MODEL, passage_tokens=32)
    return tmp_path / "index"


def make_client(index_dir, embedder, poll_seconds=0.0):
    service = SearchService(embedder, load_index(index_dir))
    app = create_app(Settings(index_dir=index_dir, admin_token="test-admin-token", reload_poll_seconds=poll_seconds),
                     service=service)
    return TestClient(app)


def build_next_version(index_dir, tmp_path, rows, embedder):
    """A new version with one more answer (a sixth therapist on the panic question)."""
    extra = dict(rows[-1], therapistInfo="Eve StoneLicensed Counselor",
                 therapistURL="https://counselchat.com/therapists/eve-stone",
                 answerText="Panic passes. Name five things you can see to bring yourself back to the room.")
    return build_index(load_corpus(write_csv(tmp_path / "v2.csv", rows + [extra])), embedder, index_dir,
                       model_name=MODEL, passage_tokens=32, incremental=True)


def corrupt_copy_of_current(index_dir):
    """A newer version whose passage store is damaged, made current (what a bad disk or a bad copy does)."""
    broken = versions_dir(index_dir) / new_version_name()
    shutil.copytree(current_version_dir(index_dir), broken)
    with open(broken / "passages.faiss", "r+b") as handle:
        handle.seek(64)
        handle.write(b"\xff\xfe\xfd\xfc")
    switch_current(index_dir, broken)
    return broken


def search_version(client):
    response = client.post("/v1/search", json={"query": "panic in crowds", "k": 3})
    assert response.status_code == 200
    return response.json()["index_version"]


def test_admin_reload_swaps_in_the_new_version(index_dir, tmp_path, small_rows, embedder):
    with make_client(index_dir, embedder) as client:
        old = client.get("/v1/index").json()["version"]
        unchanged = client.post("/v1/admin/reload?wait=true", headers=TOKEN)
        assert unchanged.status_code == 200 and unchanged.json()["status"] == "unchanged"
        new = build_next_version(index_dir, tmp_path, small_rows, embedder)
        assert client.get("/v1/index").json()["version"] == old  # nothing changes until a reload
        response = client.post("/v1/admin/reload?wait=true", headers=TOKEN)
        assert response.status_code == 200
        assert response.json()["status"] == "swapped" and response.json()["serving_version"] == new.version
        info = client.get("/v1/index").json()
        assert info["version"] == new.version and info["answers"] == 7 and info["reload_error"] is None
        assert search_version(client) == new.version
        assert "Eve Stone" in [r["therapist"] for r in client.post(
            "/v1/search", json={"query": "panic in crowds", "k": 5}).json()["results"]]


def test_a_background_reload_answers_at_once_and_completes(index_dir, tmp_path, small_rows, embedder):
    with make_client(index_dir, embedder) as client:
        new = build_next_version(index_dir, tmp_path, small_rows, embedder)
        response = client.post("/v1/admin/reload", headers=TOKEN)
        assert response.status_code == 202 and response.json()["status"] in ("started", "running")
        assert wait_for_version(client, new.version)


def test_a_corrupt_version_is_refused_and_the_old_one_keeps_serving(index_dir, embedder, caplog):
    with make_client(index_dir, embedder) as client:
        old = client.get("/v1/index").json()["version"]
        broken = corrupt_copy_of_current(index_dir)
        response = client.post("/v1/admin/reload?wait=true", headers=TOKEN)
        assert response.status_code == 409
        body = response.json()
        assert body["status"] == "refused" and body["serving_version"] == old and body["target_version"] == broken.name
        assert "damaged" in body["detail"]
        assert any("refused" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
        ready = client.get("/readyz")
        assert ready.status_code == 200 and broken.name in ready.json()["detail"] and "damaged" in ready.json()["detail"]
        info = client.get("/v1/index").json()
        assert info["version"] == old and "damaged" in info["reload_error"]
        assert search_version(client) == old
        # the operator rolls back: `current` is the serving version again and the error clears
        rollback(index_dir)
        assert client.post("/v1/admin/reload?wait=true", headers=TOKEN).json()["status"] == "unchanged"
        assert client.get("/readyz").json()["detail"] is None


def test_the_poll_notices_a_new_version_without_any_request(index_dir, tmp_path, small_rows, embedder):
    with make_client(index_dir, embedder, poll_seconds=0.2) as client:
        new = build_next_version(index_dir, tmp_path, small_rows, embedder)
        assert wait_for_version(client, new.version)
        broken = corrupt_copy_of_current(index_dir)
        assert wait_for(lambda: (client.get("/v1/index").json()["reload_error"] or "").find(broken.name) >= 0)
        assert client.get("/v1/index").json()["version"] == new.version
        assert search_version(client) == new.version


def test_a_service_that_started_without_an_index_picks_up_the_first_build(tmp_path, small_csv, embedder):
    index_dir = tmp_path / "index"
    app = create_app(Settings(index_dir=index_dir, reload_poll_seconds=0.2))
    with TestClient(app) as client:
        assert wait_for(lambda: client.get("/readyz").json()["status"] == "failed")
        report = build_index(load_corpus(small_csv), embedder, index_dir, model_name=MODEL, passage_tokens=32)
        assert wait_for_version(client, report.version, timeout=60)


def wait_for_version(client, version, timeout=30.0):
    return wait_for(lambda: client.get("/v1/index").status_code == 200
                    and client.get("/v1/index").json()["version"] == version, timeout)
