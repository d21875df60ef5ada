"""The evaluation harness on the small corpus: real model, real search path."""
import json
import subprocess
import sys

import pytest

from index.loader import load_index
from retriever.evaluation import (LabelledQuery, automatic_systems, format_table, labelled_systems,
                                  question_queries, run_benchmark)
from retriever.ranking import Ranker, RankingConfig
from tests.conftest import ROOT

WORRIES = [
    LabelledQuery("i keep crying whenever i talk to my therapist", frozenset({"is-crying-in-therapy-normal"})),
    LabelledQuery("i can't fall asleep, my mind races about my job", frozenset({"how-do-i-sleep-better"})),
    LabelledQuery("my heart pounds and i can't breathe on the bus", frozenset({"how-can-i-stop-panic-attacks"})),
    LabelledQuery("a question nobody asked", frozenset({"no-such-question"})),
]


def test_labelled_benchmark_scores_every_system_and_skips_unanswerable_queries(small_index_dir, embedder):
    index = load_index(small_index_dir)
    report = run_benchmark("labelled", "test", embedder, index, WORRIES, labelled_systems(RankingConfig()))
    assert report.skipped_queries == 1
    by_name = {s.system: s for s in report.systems}
    assert set(by_name) == {"ranker", "dense answers (foundation)", "dense questions (title + body)",
                            "dense questions (title, body apart)", "BM25 answers", "BM25 questions"}
    ranker = by_name["ranker"]
    assert ranker.queries == 3
    assert ranker.hit_at_1 == 1.0 and ranker.mrr_at_10 == 1.0
    for scores in report.systems:
        for value in (scores.hit_at_1, scores.hit_at_5, scores.mrr_at_10, scores.ndcg_at_10):
            assert 0.0 <= value <= 1.0
        assert scores.hit_at_1 <= scores.hit_at_5
        assert scores.median_ms > 0
    assert "| ranker | 1.000 |" in format_table(report)


def test_ndcg_counts_every_answer_of_a_listed_question(small_index_dir, embedder):
    """The crying question has two distinct answers (a third is an exact duplicate): both must be found."""
    index = load_index(small_index_dir)
    query = [LabelledQuery("is it normal to cry in therapy", frozenset({"is-crying-in-therapy-normal"}))]
    grouped = run_benchmark("l", "t", embedder, index, query, {"grouped": RankingConfig()}).systems[0]
    assert grouped.ndcg_at_10 == pytest.approx(1.0)


def test_automatic_benchmark_never_reads_the_questions(small_index_dir, embedder, monkeypatch):
    index = load_index(small_index_dir)

    def forbidden(*args, **kwargs):
        raise AssertionError("the question store was searched with question signals off")

    monkeypatch.setattr(index.question_store, "search", forbidden)
    report = run_benchmark("automatic", "test", embedder, index, question_queries(index),
                           automatic_systems(RankingConfig()))
    assert report.systems[0].queries == len(index.questions)
    assert report.systems[0].hit_at_1 >= 0.5


def test_a_signal_with_weight_zero_adds_no_candidates(small_index_dir, embedder):
    """Off means off: with BM25 alone, only answers sharing a word with the query are candidates."""
    ranker = Ranker(load_index(small_index_dir), RankingConfig(
        question_dense=0, answer_dense=0, question_lexical=0, answer_lexical=1, prior=0))
    ranking = ranker.rank("caffeine", embedder.encode(["caffeine"])[0], 10)
    assert [r.answer.question_id for r in ranking.results] == ["how-do-i-sleep-better"]


@pytest.fixture
def small_queries_file(tmp_path):
    path = tmp_path / "worries.tsv"
    path.write_text("".join(f"{q.text}\t{','.join(sorted(q.relevant_questions))}\n" for q in WORRIES[:3]),
                    encoding="utf-8")
    return path


def test_the_command_prints_both_benchmarks_as_json(small_index_dir, small_queries_file, tmp_path):
    from tests.conftest import SMALL_ROWS, write_csv

    # the index fixture was built from this same CSV content, so its sha256 matches
    data = write_csv(tmp_path / "small.csv", SMALL_ROWS)
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--data", str(data),
                           "--queries", str(small_queries_file), "--index-dir", str(small_index_dir), "--json"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    names = [b["name"] for b in figures["benchmarks"]]
    assert names == ["labelled worries", "automatic"]
    assert figures["benchmarks"][0]["systems"][0]["system"] == "ranker"


def test_the_command_refuses_an_index_of_other_data(small_index_dir, small_queries_file, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("questionTitle,questionLink,answerText\nT,https://x/q/a,Some answer.\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--data", str(other),
                           "--queries", str(small_queries_file), "--index-dir", str(small_index_dir)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 2
    assert "sha256" in done.stderr
