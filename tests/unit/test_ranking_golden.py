"""The ranker without a model: a synthetic index (seeded vectors in FAISS stores, texts made of a small
vocabulary) and a golden ranking that pins the whole path (candidates from every source, signals,
fusion, grouping, repeated texts, per-question limits, topic filters). A change that alters rankings
must say so by updating tests/data/golden_ranking.json on purpose:

    COUNSEL_UPDATE_GOLDEN=1 python -m pytest tests/unit/test_ranking_golden.py
"""
import json
import os
from pathlib import Path

import numpy as np
import pytest

from index.corpus import Answer
from index.layout import Manifest
from index.loader import LoadedIndex, questions_of
from index.passages import Passage, vector_id
from index.store import FaissStore
from retriever.fusion import LearnedModel
from retriever.ranking import Ranker, RankingConfig
from retriever.signals import SIGNALS

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden_ranking.json"
DIM = 16
WORDS = "sleep worry panic grief dog anger sister boss crying therapy money school".split()
TOPICS = ["anxiety", "grief-and-loss", "family-conflict"]


def unit(rng, n):
    v = rng.normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def synthetic_index() -> LoadedIndex:
    rng = np.random.default_rng(7)
    answers = []
    for q in range(12):
        for a in range(1 + q % 3):
            words = " ".join(rng.choice(WORDS, size=8))
            text = "same answer text" if (q, a) in {(3, 0), (4, 0)} else f"answer {q}-{a} about {words}."
            answers.append(Answer(f"a{q:02d}{a}", f"q{q:02d}", f"question {q} {WORDS[q]}", f"body of {q} {WORDS[(q * 5) % 12]}",
                                  f"https://example/q{q}", [TOPICS[q % 3]], f"Therapist {a}", "", text, text,
                                  upvotes=int(rng.integers(0, 5)), views=1))
    questions = questions_of(answers)
    passages = []
    for answer in answers:
        half = len(answer.answer) // 2
        for n, (start, end) in enumerate(((0, half), (half, len(answer.answer)))):
            passages.append(Passage(vector_id(f"{answer.answer_id}#{n}"), answer.answer_id, n, start, end,
                                    answer.answer[start:end]))
    passage_store, question_store = FaissStore(DIM), FaissStore(DIM)
    by_id = {a.answer_id: a for a in answers}
    passage_store.add(np.array([p.passage_id for p in passages]), unit(rng, len(passages)),
                      [by_id[p.answer_id].topics for p in passages])
    question_store.add(np.array([q.vector_id for q in questions]), unit(rng, len(questions)),
                       [q.topics for q in questions])
    views = np.stack([unit(rng, len(questions)), unit(rng, len(questions))])
    manifest = Manifest(version="golden", model="synthetic", dimension=DIM, normalized=True, corpus_sha256="-",
                        answers=len(answers), questions=len(questions), passages=len(passages), passage_tokens=8,
                        built_at="-", build_seconds=0.0)
    return LoadedIndex(Path("."), manifest, answers, questions, passages, question_store, passage_store, views)


def fixed_model() -> LearnedModel:
    """A learned model with fixed weights, so the golden does not move when the packaged model is retrained."""
    coef = np.linspace(1.0, -0.5, len(SIGNALS) + 1)
    return LearnedModel(SIGNALS, np.zeros(len(SIGNALS) + 1), np.ones(len(SIGNALS) + 1), coef, -1.0, 0.3, {})


def rankings() -> dict:
    index = synthetic_index()
    rng = np.random.default_rng(11)
    queries = [("worry about sleep and my boss", None, None), ("grief after my dog died", ["grief-and-loss"], None),
               ("crying in therapy", None, 1), ("money anger sister", ["anxiety", "family-conflict"], 2)]
    vectors = unit(rng, len(queries))
    out = {}
    for fusion in ("weighted", "rrf", "learned"):
        ranker = Ranker(index, RankingConfig(fusion=fusion, question_candidates=5, passage_candidates=10,
                                             lexical_candidates=4), fixed_model() if fusion == "learned" else None)
        for (text, topics, per_question), vector in zip(queries, vectors):
            ranking = ranker.rank(text, vector, 6, topics, per_question=per_question)
            out[f"{fusion} | {text} | {topics} | {per_question}"] = {
                "results": [[r.answer.answer_id, round(r.score, 4), round(r.confidence, 4)] for r in ranking.results],
                "low_confidence": ranking.low_confidence, "candidates": ranking.candidates}
    return out


def test_the_rankings_are_the_golden_ones():
    got = rankings()
    if os.environ.get("COUNSEL_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1) + "\n", encoding="utf-8")
    assert got == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_the_golden_exercises_grouping_repeated_texts_and_filters():
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    ids = [a for case in golden.values() for a, *_ in case["results"]]
    for case in golden.values():
        answers = [a for a, *_ in case["results"]]
        assert not ({"a030", "a040"} <= set(answers)), "a repeated text appeared twice"
        questions = [a[:3] for a in answers]
        firsts = list(dict.fromkeys(questions))
        assert questions == sorted(questions, key=firsts.index)  # answers of one question stay together
    assert len(ids) > 40


@pytest.mark.parametrize("topics", [["grief-and-loss"], ["anxiety", "family-conflict"]])
def test_a_topic_filter_keeps_every_source_inside_the_topics(topics):
    index = synthetic_index()
    ranker = Ranker(index, RankingConfig(fusion="weighted"))
    vector = unit(np.random.default_rng(3), 1)[0]
    results = ranker.rank("sleep worry", vector, 10, topics).results
    assert results and all(set(topics) & set(r.answer.topics) for r in results)
