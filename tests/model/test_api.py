"""Every endpoint, including each kind of bad input, against the small index."""
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from settings import Settings


@pytest.fixture(scope="module")
def client(small_service, small_index_dir):
    app = create_app(Settings(index_dir=small_index_dir), service=small_service)
    with TestClient(app) as client:
        yield client


def test_post_search_returns_ranked_answers_with_their_question(client):
    response = client.post("/v1/search", json={"query": "is it normal to cry in therapy", "k": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "is it normal to cry in therapy" and body["took_ms"] >= 0
    assert len(body["results"]) == 2
    first = body["results"][0]
    assert first["question_id"] == "is-crying-in-therapy-normal"
    assert first["question_url"].endswith("/is-crying-in-therapy-normal")
    for field in ("answer_id", "question_title", "question_text", "answer", "topic", "therapist", "upvotes", "score"):
        assert field in first
    assert body["results"][0]["score"] >= body["results"][1]["score"]


def test_search_says_how_confident_it_is(client):
    good = client.post("/v1/search", json={"query": "is it normal to cry in therapy", "k": 3}).json()
    assert good["low_confidence"] is False
    assert all(0 <= r["confidence"] <= 1 for r in good["results"]) and good["results"][0]["confidence"] > 0.5
    poor = client.get("/v1/search", params={"q": "how do I change the oil in a lawn mower"}).json()
    assert poor["low_confidence"] is True


def test_get_search_matches_post(client):
    post = client.post("/v1/search", json={"query": "panic in crowds", "k": 3}).json()
    get = client.get("/v1/search", params={"q": "panic in crowds", "k": 3}).json()
    assert [r["answer_id"] for r in get["results"]] == [r["answer_id"] for r in post["results"]]


def test_topic_filter(client):
    body = client.post("/v1/search", json={"query": "crying", "topics": ["grief-and-loss"]}).json()
    assert body["results"] and {r["topic"] for r in body["results"]} == {"grief-and-loss"}
    get = client.get("/v1/search", params={"q": "crying", "topic": "grief-and-loss"}).json()
    assert [r["answer_id"] for r in get["results"]] == [r["answer_id"] for r in body["results"]]


def test_answer_by_id_and_404(client):
    answer_id = client.get("/v1/search", params={"q": "sleep"}).json()["results"][0]["answer_id"]
    answer = client.get(f"/v1/answers/{answer_id}")
    assert answer.status_code == 200 and answer.json()["answer_id"] == answer_id
    assert "answer_original" in answer.json()
    missing = client.get("/v1/answers/does-not-exist")
    assert missing.status_code == 404 and "does-not-exist" in missing.json()["detail"]


def test_topics_with_counts(client):
    topics = client.get("/v1/topics").json()["topics"]
    assert {"topic": "counseling-fundamentals", "answers": 2} in topics


def test_health_ready_and_index(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["index"]["answers"] == 6
    assert client.get("/v1/index").json()["model"] == "all-MiniLM-L6-v2"


def test_openapi_documents_the_models(client):
    schema = client.get("/openapi.json").json()
    assert "SearchRequest" in schema["components"]["schemas"]
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize("body, status, message", [
    ({"query": ""}, 422, "empty"),
    ({"query": "   \n\t "}, 422, "empty"),
    ({"query": "x" * 2001}, 422, "limit is 2000"),
    ({"query": "sleep", "k": 0}, 422, "k"),
    ({"query": "sleep", "k": 51}, 422, "k"),
    ({"query": "sleep", "topics": ["not-a-topic"]}, 422, "unknown topic"),
    ({"query": 5}, 422, "query"),
    ({"query": "sleep", "k": "many"}, 422, "k"),
    ({"query": "sleep", "topics": "anxiety"}, 422, "topics"),
    ({}, 422, "query"),
    ({"query": "sleep", "extra": 1}, 422, "extra"),
])
def test_bad_search_input_is_a_clear_4xx(client, body, status, message):
    response = client.post("/v1/search", json=body)
    assert response.status_code == status
    assert message in response.text


def test_malformed_json_is_400(client):
    response = client.post("/v1/search", content=b'{"query": ', headers={"content-type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["detail"]


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "sleep", "k": "0"}, {"q": "sleep", "k": "x"}, {}])
def test_bad_get_search_is_a_clear_4xx(client, params):
    assert client.get("/v1/search", params=params).status_code == 422


def test_not_ready_service_answers_503_and_readyz_says_so(tmp_path):
    app = create_app(Settings(index_dir=tmp_path / "missing"))
    with TestClient(app) as client:
        import time

        for _ in range(100):
            if client.get("/readyz").json()["status"] != "loading":
                break
            time.sleep(0.1)
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "failed"
        assert "no index" in ready.json()["detail"]
        assert client.post("/v1/search", json={"query": "sleep"}).status_code == 503
        assert client.get("/healthz").status_code == 200


def test_query_text_is_not_logged(client, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    secret = "my very private worry about zebras"
    client.get("/v1/search", params={"q": secret})
    client.post("/v1/search", json={"query": secret})
    server_logs = [r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert server_logs and not any("zebras" in line for line in server_logs)


def test_openapi_lists_the_served_topics_and_they_are_accepted(client, small_service):
    document = client.get("/openapi.json").json()
    topics = document["components"]["schemas"]["SearchRequest"]["properties"]["topics"]["anyOf"][0]["items"]["enum"]
    assert topics == sorted(small_service.index.topics)
    for topic in topics:
        assert client.post("/v1/search", json={"query": "sleep", "topics": [topic]}).status_code == 200
    refused = client.post("/v1/search", json={"query": "sleep", "topics": [""]})
    assert refused.status_code == 422 and 'unknown topic(s): ""' in refused.json()["detail"]


@pytest.mark.parametrize("content, content_type", [('{"query": "sleep"}', "text/plain"),
                                                   ("query=sleep", "application/x-www-form-urlencoded"),
                                                   ('{"query": "sleep"}', None)])
@pytest.mark.parametrize("path", ["/v1/search", "/v1/context", "/v1/search/batch"])
def test_a_body_not_sent_as_json_is_415_saying_so(client, path, content, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = client.post(path, content=content, headers=headers)
    assert response.status_code == 415
    assert response.json()["detail"].startswith("send JSON with content-type: application/json")


def test_a_wrong_type_in_a_batch_item_fails_the_request(client):
    response = client.post("/v1/search/batch", json={"queries": [{"query": "sleep"}, {"query": "grief", "k": False}]})
    assert response.status_code == 422 and "queries.1.k" in response.json()["detail"]


def test_results_and_citations_give_the_name_and_the_credentials_apart(client):
    """The test corpus glues them as CounselChat does ("Ana LimaLicensed Counselor"; issue 17)."""
    result = client.post("/v1/search", json={"query": "is crying in therapy normal", "k": 3}).json()["results"][0]
    assert result["therapist"] in {"Ana Lima", "Ben Okafor"} and result["credentials"] == "Licensed Counselor"
    assert client.get(f"/v1/answers/{result['answer_id']}").json()["credentials"] == "Licensed Counselor"
    context = client.post("/v1/context", json={"query": "is crying in therapy normal", "k": 2}).json()
    first = context["passages"][0]
    assert first["credentials"] == "Licensed Counselor" and "Counselor" not in first["therapist"]
    assert context["context"].startswith(f"[1] {first['therapist']}, answering ")
