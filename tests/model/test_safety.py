"""The full crisis check (lexicon + prototypes with the real model), in the API, the ranking and the CLI."""
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from index.builder import build_index
from index.corpus import load_corpus
from index.loader import load_index
from index.safety_tags import LETHAL_MEANS, tag_lethal_means
from retriever.safety import SafetyCheck, load_resources
from retriever.service import SearchService
from safety_cases import CASES
from settings import Settings

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
CRISIS_QUERY = "i want to end my life tonight"
CALM_QUERY = "is it normal to cry in therapy"


@pytest.fixture(scope="module")
def check(embedder):
    return SafetyCheck.build(embedder.encode)


@pytest.fixture(scope="module")
def verdicts(check, embedder):
    vectors = embedder.encode([text for _, _, text in CASES])
    return [(crisis, text, check.check(text, vector)) for (crisis, _, text), vector in zip(CASES, vectors)]


def test_every_written_crisis_case_is_flagged(verdicts):
    missed = [text for crisis, text, verdict in verdicts if crisis and not verdict.crisis]
    assert not missed


def test_no_idiom_denial_or_ordinary_worry_is_flagged(verdicts):
    wrongly = [(text, verdict.categories) for crisis, text, verdict in verdicts if not crisis and verdict.crisis]
    assert not wrongly


def test_paraphrases_no_pattern_foresaw_are_caught_by_the_prototypes(check, embedder):
    text = "nobody would even notice if I was gone for good"
    lexicon_only = check.check(text, None)
    assert not lexicon_only.crisis
    full = check.check(text, embedder.encode([text])[0])
    assert full.crisis and "suicide" in full.categories and "semantic" in full.sources


def test_a_child_afraid_of_an_adult_at_home_is_caught_by_the_prototypes_alone(check, embedder):
    text = "I sleep with a chair against the door because of my mom's new boyfriend"
    assert not check.check(text, None).crisis
    full = check.check(text, embedder.encode([text])[0])
    assert full.crisis and "child_at_risk" in full.categories and full.sources == ["semantic"]


def test_the_search_reuses_its_query_vector_for_the_check(small_index_dir, embedder, monkeypatch):
    service = SearchService(embedder, load_index(small_index_dir))
    calls = []
    original = embedder.encode
    monkeypatch.setattr(embedder, "encode", lambda texts, **kw: calls.append(list(texts)) or original(texts, **kw))
    outcome = service.search(CRISIS_QUERY, 2)
    assert outcome.safety.crisis and calls == [[CRISIS_QUERY]]
    assert outcome.timings_ms["safety"] >= 0


# --- API -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(small_service, small_index_dir):
    with TestClient(create_app(Settings(index_dir=small_index_dir), service=small_service)) as client:
        yield client


def test_a_crisis_query_gets_the_safety_block_and_still_its_results(client):
    body = client.post("/v1/search", json={"query": CRISIS_QUERY, "k": 3}).json()
    safety = body["safety"]
    assert set(safety) == {"crisis", "categories", "resources", "error"}
    assert safety["crisis"] is True and "suicide" in safety["categories"] and safety["error"] is None
    assert all(set(r) == {"name", "contact", "url", "description"} for r in safety["resources"])
    assert any("988" in r["contact"] for r in safety["resources"])
    assert body["results"] and "not a substitute for professional help" in body["notice"]


def test_a_calm_query_is_not_flagged_but_help_is_still_listed(client):
    body = client.get("/v1/search", params={"q": CALM_QUERY}).json()
    assert body["safety"]["crisis"] is False and body["safety"]["categories"] == []
    assert [r["name"] for r in body["safety"]["resources"]] == [r.name for r in load_resources("us").general()]
    assert body["notice"]


def test_the_region_setting_changes_the_resources(small_index_dir, embedder):
    service = SearchService(embedder, load_index(small_index_dir),
                            safety=SafetyCheck.build(embedder.encode, load_resources("gb")))
    with TestClient(create_app(Settings(index_dir=small_index_dir), service=service)) as gb_client:
        body = gb_client.post("/v1/search", json={"query": CRISIS_QUERY}).json()
    assert any("116 123" in r["contact"] for r in body["safety"]["resources"])
    assert "999" in body["notice"]


class BrokenMatcher:
    def categories(self, vector, *, strict=False, lenient=False):
        raise RuntimeError("prototype matrix unavailable")


def test_a_failing_check_never_fails_the_search(small_index_dir, embedder):
    service = SearchService(embedder, load_index(small_index_dir),
                            safety=SafetyCheck(load_resources("us"), BrokenMatcher()))
    with TestClient(create_app(Settings(index_dir=small_index_dir), service=service)) as broken:
        response = broken.post("/v1/search", json={"query": CALM_QUERY, "k": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["results"] and body["safety"]["crisis"] is True and "failed" in body["safety"]["error"]
    assert len(body["safety"]["resources"]) == len(load_resources("us").all())


def test_a_flagged_query_is_neither_logged_nor_kept(client, small_service, access_log, caplog):
    secret = "I want to kill myself, my name is Quillon Verbeck"
    with caplog.at_level(logging.DEBUG):
        body = client.post("/v1/search", json={"query": secret}).json()
        client.get("/v1/search", params={"q": secret})
    assert body["safety"]["crisis"]
    server_records = [r for r in caplog.records if not r.name.startswith("httpx")]  # httpx: the test's own client
    logged = " ".join(r.getMessage() for r in server_records) + str(access_log())
    assert "Quillon" not in logged and "kill myself" not in logged
    assert "Quillon" not in str(vars(small_service.safety)) and "Quillon" not in client.get("/metrics").text


# --- Ranking: answers naming methods or doses leave the top for crisis queries -----------------------

@pytest.fixture(scope="module")
def tagged_service(tmp_path_factory, embedder, corpus_csv_writer):
    rows = [
        (1, "i-want-to-end-my-life", "I want to end my life", "I feel like ending my life.", "depression",
             "Dee Able", "When you feel like ending your life, doctors may adjust the dose of your medication, "
             "for example to 50 mg, so please talk with them about ending your life thoughts.", 9),
        (1, "i-want-to-end-my-life", "I want to end my life", "I feel like ending my life.", "depression",
             "Eli Brand", "I am glad you reached out. Please call a crisis line tonight and tell someone you trust.", 0),
        (2, "how-do-i-sleep-better", "How do I sleep better?", "I lie awake.", "sleep", "Cara Diaz",
             "Keep a regular bedtime and avoid screens before bed.", 0),
    ]
    directory = tmp_path_factory.mktemp("tagged")
    corpus = load_corpus(corpus_csv_writer(directory / "tagged.csv", rows))
    build_index(corpus, embedder, directory / "index", model_name="all-MiniLM-L6-v2", passage_tokens=64,
                taggers=(tag_lethal_means,))
    return SearchService(embedder, load_index(directory / "index"))


def test_tags_are_written_at_index_time(tagged_service):
    flagged = [a.therapist for a in tagged_service.index.answers if LETHAL_MEANS in a.flags]
    assert flagged == ["Dee Able"]


def test_crisis_queries_move_method_answers_out_of_the_top(tagged_service, embedder):
    query = "I want to end my life"
    plain = tagged_service.ranker.rank(query, embedder.encode([query])[0], 3)
    assert plain.results[0].answer.therapist == "Dee Able"  # without demotion it would come first
    outcome = tagged_service.search(query, 3)
    assert outcome.safety.crisis
    assert [r.answer.therapist for r in outcome.ranking.results][-1] == "Dee Able"
    assert outcome.ranking.results[0].answer.therapist == "Eli Brand"


def test_calm_queries_are_ranked_as_before(tagged_service, embedder):
    query = "what do doctors say about medication"
    plain = tagged_service.ranker.rank(query, embedder.encode([query])[0], 3)
    outcome = tagged_service.search(query, 3)
    assert not outcome.safety.crisis
    assert [r.answer.answer_id for r in outcome.ranking.results] == [r.answer.answer_id for r in plain.results]


# --- Command line --------------------------------------------------------------------------------------

def test_the_command_line_prints_help_before_any_result(small_index_dir, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import search as search_script

    assert search_script.main([CRISIS_QUERY, "--index-dir", str(small_index_dir), "--k", "2"]) == 0
    out = capsys.readouterr().out
    assert "988" in out and out.index("988") < out.index("1. ")
    assert "not a substitute for professional help" in out

    assert search_script.main([CALM_QUERY, "--index-dir", str(small_index_dir), "--k", "2"]) == 0
    calm = capsys.readouterr().out
    assert "please reach out now" not in calm and calm.startswith("1. ")


def test_a_restart_reads_the_prototype_vectors_back_and_judges_alike(small_index_dir, tmp_path):
    from retriever.service import SearchService

    first = SearchService.open(small_index_dir, "all-MiniLM-L6-v2", vector_cache_dir=tmp_path)
    [kept] = tmp_path.glob("vectors-*.npy")  # the packaged prototypes only: queries are never kept
    again = SearchService.open(small_index_dir, "all-MiniLM-L6-v2", vector_cache_dir=tmp_path)
    assert list(tmp_path.glob("vectors-*.npy")) == [kept]
    for text in ("i don't want to be alive anymore", "how do I sleep better"):
        vector = first.embedder.encode_query(text)
        assert first.safety.check(text, vector).categories == again.safety.check(text, vector).categories
    assert first.safety.check("i don't want to be alive anymore",
                              first.embedder.encode_query("i don't want to be alive anymore")).crisis
    first.close()
    again.close()
