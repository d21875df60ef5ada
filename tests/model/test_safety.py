"""The full crisis check (lexicon, cues, the learned classifier over the real model's vectors), in the API,
the ranking and the command line.

The held-out file tests/data/safety_holdout.tsv was written by a writer whose messages are not in the
training data (data/safety/messages-*.tsv): it checks every category and level on phrasings the model
never read. The bounds below are what the held-out figures support with a margin (scripts/safety_eval.py
prints them); they are not the targets, which the README states beside the measured figures.
"""
import logging
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from index.builder import build_index
from index.corpus import load_corpus
from index.loader import load_index
from index.safety_tags import LETHAL_MEANS, SITUATION, tag_lethal_means
from retriever.safety import SafetyCheck, load_resources
from retriever.safety.taxonomy import KIND_NAMES, LEVEL_RANK
from retriever.service import SearchService
from safety_cases import BrokenClassifier
from settings import Settings

HOLDOUT = Path(__file__).resolve().parents[1] / "data" / "safety_holdout.tsv"
CRISIS_QUERY = "i want to end my life tonight"
CALM_QUERY = "is it normal to cry in therapy"


def read_holdout():
    rows = []
    for line in HOLDOUT.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            level, kind, subject, language, _style, text = line.split("\t")
            rows.append((level, kind, subject, language, text))
    return rows


@pytest.fixture(scope="module")
def check():
    return SafetyCheck.build()


@pytest.fixture(scope="module")
def holdout(check, embedder):
    rows = read_holdout()
    vectors = embedder.encode([text for *_, text in rows])
    return [(row, check.check(row[-1], vector)) for row, vector in zip(rows, vectors)]


def test_the_holdout_is_not_in_the_training_data():
    training = {line.split("\t")[-1].strip().lower()
                for path in (Path(__file__).resolve().parents[2] / "data" / "safety").glob("messages-*.tsv")
                for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")}
    assert not training & {text.strip().lower() for *_, text in read_holdout()}


def test_the_holdout_covers_every_kind_and_level(holdout):
    kinds = {row[1] for row, _ in holdout if row[0] != "none"}
    levels = {row[0] for row, _ in holdout}
    assert kinds == set(KIND_NAMES) and levels == {"imminent", "high", "concern", "none"}


def test_imminent_and_high_messages_nobody_wrote_for_it_are_flagged(holdout):
    serious = [verdict.crisis for (level, *_), verdict in holdout if level in ("imminent", "high")]
    assert np.mean(serious) >= 0.95, f"recall {np.mean(serious):.3f} on {len(serious)} held-out messages"


def test_every_kind_of_danger_is_mostly_flagged(holdout):
    by_kind = defaultdict(list)
    for (level, kind, *_), verdict in holdout:
        if level != "none":
            by_kind[kind].append(verdict.crisis)
    weak = {kind: round(float(np.mean(v)), 2) for kind, v in by_kind.items() if np.mean(v) < 0.85}
    assert not weak, f"held-out recall below 0.85: {weak}"


def test_imminent_messages_mostly_get_the_emergency_number_first(holdout):
    imminent = [verdict for (level, *_), verdict in holdout if level == "imminent"]
    at_level = [v.level == "imminent" for v in imminent]
    assert np.mean(at_level) >= 0.6
    assert all(v.resources[0].emergency for v in imminent if v.level == "imminent")


def test_false_alarms_on_held_out_look_alikes_stay_bounded(holdout):
    alarms = [verdict.crisis for (level, *_), verdict in holdout if level == "none"]
    assert np.mean(alarms) <= 0.30, f"false alarms {np.mean(alarms):.3f} on {len(alarms)} look-alikes"


def test_spanish_crises_are_flagged_and_answered_in_spanish(holdout):
    spanish = [verdict for (level, _k, _s, language, _t), verdict in holdout if language == "es" and level != "none"]
    assert np.mean([v.crisis for v in spanish]) >= 0.85
    flagged = [v for v in spanish if v.crisis]
    assert np.mean([v.language == "es" for v in flagged]) >= 0.9
    assert all(any("988" in r.contact for r in v.resources) for v in flagged if v.language == "es")


def test_levels_are_ordered_from_concern_to_imminent(check, embedder):
    cases = {"sometimes i wish i could just not wake up": "concern",
             "i took all my pills twenty minutes ago and i feel dizzy": "imminent",
             "how do i deal with stress at work": "none"}
    for text, expected in cases.items():
        verdict = check.check(text, embedder.encode([text])[0])
        if expected == "none":
            assert verdict.level == "none", text
        else:
            assert LEVEL_RANK[verdict.level] >= LEVEL_RANK[expected], (text, verdict.level)


def test_someone_else_at_risk_gets_the_lines_framed_for_helping_them(check, embedder):
    text = "my best friend texted me that she wants to kill herself, what do i do"
    verdict = check.check(text, embedder.encode([text])[0])
    assert verdict.crisis and verdict.subject == "someone_else"
    assert any("worried about someone else" in (r.description or "") for r in verdict.resources)


def test_the_past_is_not_an_alarm_but_gets_a_gentle_line(check, embedder):
    text = "my grandfather died by suicide when i was eight, how do i tell my kids about him"
    verdict = check.check(text, embedder.encode([text])[0])
    assert not verdict.crisis and verdict.message, text


@pytest.mark.xfail(strict=True, reason="known miss, measured: a work story naming an overdose scores P(crisis) "
                   "0.73 and is flagged `concern` (its nearest training messages are overdoses); a rule demoting "
                   "`concern` under a professional cue lost more true crises than false alarms in cross-validation")
def test_a_work_story_is_not_an_alarm_but_gets_a_gentle_line(check, embedder):
    text = "as a paramedic i attended an overdose last month and i keep thinking about it"
    verdict = check.check(text, embedder.encode([text])[0])
    assert not verdict.crisis and verdict.message, text


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


def test_a_crisis_query_gets_the_safety_block_first_on_the_page_and_for_chatbots(client):
    body = client.post("/v1/search", json={"query": CRISIS_QUERY, "k": 3}).json()
    safety = body["safety"]
    assert {"crisis", "level", "categories", "subject", "language", "message", "reply_instruction", "resources",
            "error"} <= set(safety)
    assert safety["crisis"] is True and safety["level"] in ("imminent", "high") and "suicide" in safety["categories"]
    assert safety["reply_instruction"] and safety["message"]
    assert any("988" in r["contact"] for r in safety["resources"])
    context = client.post("/v1/context", json={"query": CRISIS_QUERY}).json()
    assert list(context)[0] == "reply_instruction" and context["reply_instruction"] == safety["reply_instruction"]


def test_a_calm_query_is_not_flagged_but_help_is_still_listed(client):
    body = client.get("/v1/search", params={"q": CALM_QUERY}).json()
    assert body["safety"]["crisis"] is False and body["safety"]["level"] == "none"
    assert [r["name"] for r in body["safety"]["resources"]] == [r.name for r in load_resources("us").general()]
    assert body["notice"]


def test_the_region_setting_changes_the_resources(small_index_dir, embedder):
    service = SearchService(embedder, load_index(small_index_dir), safety=SafetyCheck.build(load_resources("gb")))
    with TestClient(create_app(Settings(index_dir=small_index_dir), service=service)) as gb_client:
        body = gb_client.post("/v1/search", json={"query": CRISIS_QUERY}).json()
    assert any("116 123" in r["contact"] for r in body["safety"]["resources"])
    assert "999" in body["notice"]




def test_a_failing_check_never_fails_the_search(small_index_dir, embedder):
    service = SearchService(embedder, load_index(small_index_dir),
                            safety=SafetyCheck(load_resources("us"), BrokenClassifier()))
    with TestClient(create_app(Settings(index_dir=small_index_dir), service=service)) as broken:
        response = broken.post("/v1/search", json={"query": CALM_QUERY, "k": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["safety"]["crisis"] is True and "failed" in body["safety"]["error"]
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


# --- Under the help lines: answers to people in the same situation, no methods -------------------------

def tag_test_situations(answer):
    """The situations of the questions written for this test (the packaged labels know CounselChat's only)."""
    return [SITUATION + "suicidal"] if answer.question_id == "i-want-to-end-my-life" else []


@pytest.fixture(scope="module")
def situated_service(tmp_path_factory, embedder, corpus_csv_writer):
    rows = [
        (1, "i-want-to-end-my-life", "I want to end my life", "I feel like ending my life.", "depression",
             "Dee Able", "When you feel like ending your life, doctors may adjust the dose of your medication, "
             "for example to 50 mg, so please talk with them about those thoughts.", 9),
        (1, "i-want-to-end-my-life", "I want to end my life", "I feel like ending my life.", "depression",
             "Eli Brand", "I am glad you reached out. Please call a crisis line tonight and tell someone you trust. "
             "My office is near a bridge, and I have seen how much pain people carry.", 0),
        (2, "should-i-end-it-with-my-boyfriend", "Should I end it?", "My relationship is over, should I end it?",
             "relationships", "Fay Gold", "Ending a relationship is hard; talk openly with him first.", 0),
        (3, "how-do-i-sleep-better", "How do I sleep better?", "I lie awake.", "sleep", "Cara Diaz",
             "Keep a regular bedtime and avoid screens before bed.", 0),
    ]
    directory = tmp_path_factory.mktemp("situated")
    corpus = load_corpus(corpus_csv_writer(directory / "situated.csv", rows))
    build_index(corpus, embedder, directory / "index", model_name="all-MiniLM-L6-v2", passage_tokens=64,
                taggers=(tag_lethal_means, tag_test_situations))
    return SearchService(embedder, load_index(directory / "index"))


def test_tags_are_written_at_index_time(situated_service):
    flagged = [a.therapist for a in situated_service.index.answers if LETHAL_MEANS in a.flags]
    assert flagged == ["Dee Able"]


def test_a_crisis_query_finds_the_same_situation_without_methods_or_places(situated_service):
    outcome = situated_service.search("i just want to end it all", 5)
    assert outcome.safety.crisis
    therapists = [r.answer.therapist for r in outcome.ranking.results]
    assert therapists == ["Eli Brand"]  # the relationship question and the dose answer stay out
    highlight = outcome.ranking.results[0].highlight
    assert highlight is not None and "bridge" not in highlight.text and "crisis line" in highlight.text


def test_calm_queries_are_ranked_as_before(situated_service, embedder):
    query = "how do i sleep better at night"
    plain = situated_service.ranker.rank(query, embedder.encode([query])[0], 3)
    outcome = situated_service.search(query, 3)
    assert not outcome.safety.crisis
    assert [r.answer.answer_id for r in outcome.ranking.results] == [r.answer.answer_id for r in plain.results]


def test_an_index_built_without_the_safety_taggers_is_reported_at_load(small_corpus_csv, embedder, tmp_path, caplog):
    build_index(load_corpus(small_corpus_csv), embedder, tmp_path / "index", model_name="all-MiniLM-L6-v2",
                passage_tokens=32, taggers=())
    with caplog.at_level(logging.WARNING):
        service = SearchService(embedder, load_index(tmp_path / "index"))
    assert "tag_lethal_means" in caplog.text
    with TestClient(create_app(Settings(index_dir=tmp_path / "index"), service=service)) as untagged:
        ready = untagged.get("/readyz").json()
    assert ready["status"] == "ready" and any("tag_lethal_means" in w for w in ready["safety_warnings"])


def test_a_default_build_records_the_taggers(small_index_dir):
    assert set(load_index(small_index_dir).manifest.settings["taggers"]) >= {"tag_lethal_means", "tag_situation"}


# --- Command line --------------------------------------------------------------------------------------

def test_the_command_line_prints_help_before_any_result(small_index_dir, capsys):
    from scripts import search as search_script

    assert search_script.main([CRISIS_QUERY, "--index-dir", str(small_index_dir), "--k", "2"]) == 0
    out = capsys.readouterr().out
    assert "988" in out and "not a substitute for professional help" in out
    assert "1. " not in out or out.index("988") < out.index("1. ")

    assert search_script.main([CALM_QUERY, "--index-dir", str(small_index_dir), "--k", "2"]) == 0
    calm = capsys.readouterr().out
    assert calm.startswith("1. ")
