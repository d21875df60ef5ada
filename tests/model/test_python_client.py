"""The typed Python client round-trips every endpoint against the app (in-process, no socket)."""
import time

import pytest
from fastapi.testclient import TestClient

from api.client import CounselAPIError, CounselClient
from api.main import create_app
from api.models import (AnswerDetail, BatchQuery, BatchSearchResponse, ContextResponse, Health, IndexInfo, Readiness,
                        SearchResponse, TopicsResponse)
from settings import Settings


@pytest.fixture(scope="module")
def http(small_service, small_index_dir):
    app = create_app(Settings(index_dir=small_index_dir), service=small_service)
    with TestClient(app) as http:
        yield http


@pytest.fixture
def api(http):
    return CounselClient(http=http)


def test_search_returns_the_typed_response_the_server_sent(api, http):
    got = api.search("is it normal to cry in therapy", k=2, topics=["counseling-fundamentals"])
    raw = http.post("/v1/search", json={"query": "is it normal to cry in therapy", "k": 2,
                                        "topics": ["counseling-fundamentals"]}).json()
    assert isinstance(got, SearchResponse)
    assert got.model_dump(exclude={"took_ms"}) == SearchResponse.model_validate(raw).model_dump(exclude={"took_ms"})
    assert got.results[0].question_id == "is-crying-in-therapy-normal" and got.safety.crisis is False


def test_context_and_batch(api):
    context = api.context("my heart races in crowds", max_tokens=120, k=3)
    assert isinstance(context, ContextResponse) and context.tokens <= 120 and context.passages
    assert context.context.startswith("[1] ")
    batch = api.search_batch(["how do i sleep better", BatchQuery(query="grief", topics=["nope"])])
    assert isinstance(batch, BatchSearchResponse)
    assert batch.items[0].response.results and batch.items[1].status == 422 and "nope" in batch.items[1].error


def test_lookups_and_operations(api):
    answer_id = api.search("sleep", k=1).results[0].answer_id
    assert isinstance(api.answer(answer_id), AnswerDetail) and api.answer(answer_id).answer_id == answer_id
    topics = api.topics()
    assert isinstance(topics, TopicsResponse) and "anxiety" in {t.topic for t in topics.topics}
    assert isinstance(api.index(), IndexInfo) and api.index().answers == 6
    assert api.health() == Health(status="ok")
    ready = api.ready()
    assert isinstance(ready, Readiness) and ready.status == "ready"
    assert "counsel" in api.metrics()


def test_errors_carry_the_servers_sentence(api):
    with pytest.raises(CounselAPIError) as missing:
        api.answer("does-not-exist")
    assert missing.value.status_code == 404 and "does-not-exist" in missing.value.detail
    with pytest.raises(CounselAPIError) as unknown:
        api.context("sleep", topics=["no-such-topic"])
    assert unknown.value.status_code == 422 and "no-such-topic" in unknown.value.detail
    with pytest.raises(CounselAPIError) as empty:
        api.search("   ")
    assert empty.value.status_code == 422 and "empty" in empty.value.detail


def test_not_ready_is_an_answer_not_an_error(tmp_path):
    app = create_app(Settings(index_dir=tmp_path / "missing"))
    with TestClient(app) as http:
        api = CounselClient(http=http)
        deadline = time.monotonic() + 60  # the background load fails (no index) once the model has loaded
        while (status := api.ready().status) == "loading" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert status == "failed"
        with pytest.raises(CounselAPIError) as not_ready:
            api.search("sleep")
        assert not_ready.value.status_code == 503 and not_ready.value.retry_after == "2"


def test_the_client_models_are_the_served_schema(http):
    """The client parses and sends api.models, the classes the server's schema comes from: each operation's
    request and 200 response name them, and their JSON schemas are what /openapi.json serves (deployment
    values filled in, as api/openapi.py does)."""
    from api.models import BatchSearchRequest, ContextRequest, SearchRequest
    from api.openapi import deployment_facts, fill

    document = http.get("/openapi.json").json()
    components = document["components"]["schemas"]
    ref = "#/components/schemas/{model}"
    for path, method, request, response in [
            ("/v1/search", "post", SearchRequest, SearchResponse), ("/v1/context", "post", ContextRequest, ContextResponse),
            ("/v1/search/batch", "post", BatchSearchRequest, BatchSearchResponse),
            ("/v1/topics", "get", None, TopicsResponse), ("/v1/index", "get", None, IndexInfo),
            ("/healthz", "get", None, Health), ("/readyz", "get", None, Readiness)]:
        operation = document["paths"][path][method]
        if request is not None:
            assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"] == ref.format(model=request.__name__)
            expected = request.model_json_schema(ref_template=ref)
            expected.pop("$defs", None)
            fill(expected, *deployment_facts(http.app.state.counsel))
            for field in expected["properties"].values():  # FastAPI leaves `default: null` out of the document
                if "default" in field and field["default"] is None:
                    del field["default"]
            assert components[request.__name__] == expected, request.__name__
        returned = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert returned.split("-")[0] == response.__name__
