"""POST /v1/context and POST /v1/search/batch against the small index, with the real tokenizer."""
import re

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from settings import Settings

WORRIES = ["is it normal to cry in therapy", "i lie awake worrying every night", "my dog died and i miss him",
           "my heart races in crowds"]


@pytest.fixture(scope="module")
def client(small_service, small_index_dir):
    app = create_app(Settings(index_dir=small_index_dir), service=small_service)
    with TestClient(app) as client:
        yield client


def cited_numbers(context: str) -> list[int]:
    return [int(m) for m in re.findall(r"^\[(\d+)\] ", context, flags=re.M)]


def test_context_returns_citable_passages_of_the_best_answers(client):
    body = client.post("/v1/context", json={"query": "is it normal to cry in therapy", "k": 3}).json()
    first = body["passages"][0]
    assert first["question_id"] == "is-crying-in-therapy-normal" and first["number"] == 1
    assert first["question_url"].endswith("/is-crying-in-therapy-normal")
    for field in ("answer_id", "question_title", "therapist", "passage", "score"):
        assert field in first
    answer = client.get(f"/v1/answers/{first['answer_id']}").json()["answer"]
    assert answer[first["start"]:first["end"]].split() == first["passage"].split()  # a passage, not the answer
    assert body["context"].startswith(f"[1] {first['therapist']}, answering \"{first['question_title']}\":")
    assert body["tokenizer"] == "all-MiniLM-L6-v2" and body["max_tokens"] == 800


@pytest.mark.parametrize("max_tokens", [1, 10, 20, 30, 45, 70, 120, 800])
@pytest.mark.parametrize("query", WORRIES)
def test_context_never_exceeds_max_tokens_by_the_models_own_count(client, small_service, query, max_tokens):
    body = client.post("/v1/context", json={"query": query, "max_tokens": max_tokens, "k": 5}).json()
    recount = small_service.embedder.token_counts([body["context"]])[0] if body["context"] else 0
    assert body["tokens"] == recount <= max_tokens
    numbers = [p["number"] for p in body["passages"]]
    assert numbers == list(range(1, len(numbers) + 1)) == cited_numbers(body["context"])
    for p in body["passages"]:
        assert p["passage"] in body["context"]
        assert p["truncated"] == p["passage"].endswith(" …")


def test_small_budgets_trim_the_last_passage_rather_than_leave_room_unused(client):
    packed = [client.post("/v1/context", json={"query": WORRIES[0], "max_tokens": mt}).json()["passages"]
              for mt in range(20, 130, 6)]
    assert any(passages and passages[-1]["truncated"] for passages in packed)
    assert [len(p) for p in packed] == sorted(len(p) for p in packed)  # more room never means fewer passages


def test_context_distinct_passages_only(client):
    body = client.post("/v1/context", json={"query": "crying in therapy", "k": 20, "max_tokens": 8000}).json()
    keys = [" ".join(p["passage"].lower().split()) for p in body["passages"]]
    assert len(keys) == len(set(keys)) and body["duplicates_skipped"] >= 0


@pytest.mark.parametrize("body, message", [
    ({"query": "  "}, "query is empty"),
    ({"query": "sleep", "max_tokens": 0}, "max_tokens"),
    ({"query": "sleep", "k": 21}, "k"),
    ({"query": "sleep", "topics": ["no-such-topic"]}, "unknown topic"),
])
def test_context_bad_input_is_a_422_with_a_message(client, body, message):
    response = client.post("/v1/context", json=body)
    assert response.status_code == 422 and message in response.json()["detail"]


def test_batch_results_equal_single_searches(client):
    queries = [{"query": q, "k": 3} for q in WORRIES] + [{"query": "crying", "k": 2, "topics": ["grief-and-loss"]}]
    batch = client.post("/v1/search/batch", json={"queries": queries}).json()
    assert [item["position"] for item in batch["items"]] == list(range(len(queries)))
    for query, item in zip(queries, batch["items"]):
        single = client.post("/v1/search", json=query).json()
        assert item["status"] == 200 and item["error"] is None
        got = item["response"]["results"]
        assert [r["answer_id"] for r in got] == [r["answer_id"] for r in single["results"]]
        assert [r["score"] for r in got] == pytest.approx([r["score"] for r in single["results"]], abs=1e-4)
        assert item["response"]["query"] == single["query"]


def test_batch_is_encoded_in_one_model_call(client, small_service, monkeypatch):
    calls = []
    encode = small_service.embedder.encode
    monkeypatch.setattr(small_service.embedder, "encode", lambda texts, **kw: calls.append(len(texts)) or encode(texts, **kw))
    client.post("/v1/search/batch", json={"queries": [{"query": q} for q in WORRIES]})
    assert calls == [len(WORRIES)]


def test_each_bad_batch_item_gets_its_own_error_and_the_others_their_results(client):
    queries = [{"query": "sleep"}, {"query": ""}, {"query": "panic", "k": 0}, {"query": "grief", "topics": ["nope"]},
               {"query": "x" * 3000}, {"query": "panic", "k": 500}, {"query": "panic in crowds", "k": 1}]
    response = client.post("/v1/search/batch", json={"queries": queries})
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["status"] for i in items] == [200, 422, 422, 422, 422, 422, 200]
    for item in items[1:6]:
        assert item["response"] is None and item["error"]
    assert "empty" in items[1]["error"] and "k must be" in items[2]["error"] and "nope" in items[3]["error"]
    assert "characters" in items[4]["error"]
    assert items[6]["response"]["results"][0]["question_id"] == "how-can-i-stop-panic-attacks"


def test_batch_of_more_than_32_is_refused_with_a_message(client):
    response = client.post("/v1/search/batch", json={"queries": [{"query": "sleep"}] * 33})
    assert response.status_code == 422 and "at most 32" in response.json()["detail"]
    empty = client.post("/v1/search/batch", json={"queries": []})
    assert empty.status_code == 422 and "queries" in empty.json()["detail"]


def test_context_and_batch_carry_the_same_safety_block_as_search(client):
    for query in ("i want to end my life tonight", "how do i sleep better"):
        search = client.post("/v1/search", json={"query": query}).json()
        context = client.post("/v1/context", json={"query": query}).json()
        batch = client.post("/v1/search/batch", json={"queries": [{"query": query}]}).json()["items"][0]["response"]
        assert context["safety"] == search["safety"] == batch["safety"]
        assert context["notice"] == search["notice"]
    assert context["safety"]["crisis"] is False
    flagged = client.post("/v1/context", json={"query": "i want to end my life tonight"}).json()
    assert flagged["safety"]["crisis"] is True and flagged["safety"]["resources"]
    assert list(flagged)[:3] == ["reply_instruction", "query", "safety"]  # how to reply, then the crisis signal, first
