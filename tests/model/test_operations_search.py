"""Production behaviour of real searches on the small index: stage metrics, timeouts, limits, query logging."""
import json

import pytest
from fastapi.testclient import TestClient

from api.logging_setup import query_fingerprint
from api.main import create_app
from settings import Settings

WORRY = "i cry in every session with my counselor"


def make_client(small_service, small_index_dir, **overrides) -> TestClient:
    return TestClient(create_app(Settings(index_dir=small_index_dir, **overrides), service=small_service))


@pytest.fixture(scope="module")
def client(small_service, small_index_dir):
    with make_client(small_service, small_index_dir) as client:
        yield client


def test_search_stage_timings_and_the_index_are_in_the_metrics(client):
    assert client.post("/v1/search", json={"query": WORRY, "k": 2}).status_code == 200
    text = client.get("/metrics").text
    for stage in ("encode", "candidates", "rank"):
        assert f'counsel_search_stage_seconds_count{{stage="{stage}"}}' in text
    version = client.get("/v1/index").json()["version"]
    assert f'version="{version}"' in text and "counsel_index_loaded 1.0" in text
    assert 'counsel_index_size{kind="answers"} 6.0' in text
    assert "cry" not in text and "counselor" not in text


def test_service_timings_split_candidate_retrieval_from_rank(small_service):
    timings = small_service.search(WORRY, 3).timings_ms
    assert set(timings) >= {"encode", "candidates", "rank"}
    assert all(value >= 0 for value in timings.values())


def test_a_search_over_the_timeout_gets_504_with_a_message(small_service, small_index_dir):
    with make_client(small_service, small_index_dir, search_timeout_s=1e-6) as slow:
        response = slow.post("/v1/search", json={"query": WORRY})
        assert response.status_code == 504 and "longer than" in response.json()["detail"]
        assert "counsel_search_timeouts_total 1.0" in slow.get("/metrics").text


def test_query_length_and_k_limits_give_422_with_a_message(small_service, small_index_dir):
    with make_client(small_service, small_index_dir) as client:
        too_long = client.post("/v1/search", json={"query": "word " * 500})
        assert too_long.status_code == 422 and "limit is 2000" in too_long.json()["detail"]
        assert client.post("/v1/search", json={"query": WORRY, "k": 51}).status_code == 422
        assert client.get("/v1/search", params={"q": WORRY, "k": 0}).status_code == 422


def test_queries_are_not_logged_by_default(client, access_log):
    client.post("/v1/search", json={"query": WORRY})
    client.get("/v1/search", params={"q": WORRY})
    lines = access_log()
    assert [line["status"] for line in lines] == [200, 200]
    assert all("query" not in line and "query_sha256" not in line for line in lines)
    assert "cry" not in json.dumps(lines)


def test_log_queries_logs_a_hash_and_raw_text_only_when_asked(small_service, small_index_dir, access_log):
    with make_client(small_service, small_index_dir, log_queries=True) as hashed:
        hashed.post("/v1/search", json={"query": WORRY})
    with make_client(small_service, small_index_dir, log_queries=True, log_queries_raw=True) as raw:
        raw.get("/v1/search", params={"q": WORRY})
    hashed_line, raw_line = access_log()
    assert hashed_line["query_sha256"] == query_fingerprint(WORRY) and "query" not in hashed_line
    assert raw_line["query"] == WORRY


def test_crisis_flags_are_counted_without_the_query(small_service, small_index_dir):
    with make_client(small_service, small_index_dir) as client:
        calm = client.post("/v1/search", json={"query": WORRY}).json()
        crisis = client.post("/v1/search", json={"query": "i want to end my life tonight"}).json()
        text = client.get("/metrics").text
    assert calm["safety"]["crisis"] is False and crisis["safety"]["crisis"] is True
    assert "counsel_crisis_flags_total 1.0" in text
    assert "end my life" not in text
