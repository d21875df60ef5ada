"""The evaluation harness on the small corpus: real model, the ranker's own code, the command's output."""
import json
import subprocess
import sys

import numpy as np
import pytest

from index.loader import load_index
from retriever.evaluation import JudgedWorry, TwoLineBaseline, question_queries, score_system
from retriever.ranking import Ranker, RankingConfig
from tests.conftest import ROOT

WORRIES = [
    JudgedWorry("i keep crying whenever i talk to my therapist", {"is-crying-in-therapy-normal": 1,
                                                                   "how-do-i-sleep-better": 0}, 0),
    JudgedWorry("i can't fall asleep, my mind races about my job", {"how-do-i-sleep-better": 1}, 1),
    JudgedWorry("my heart pounds and i can't breathe on the bus", {"how-can-i-stop-panic-attacks": 1}, 1),
    JudgedWorry("how do i file my taxes", {"how-do-i-sleep-better": 0}, 0),  # nothing in the corpus fits
]


def ranker_system(ranker):
    def run(text, vector):
        ranking = ranker.rank(text, vector, 10)
        return [r.answer for r in ranking.results], ranking.low_confidence
    return run


def test_every_answerable_worry_is_scored_and_the_others_count_only_for_abstention(small_index_dir, embedder):
    index = load_index(small_index_dir)
    vectors = embedder.encode([w.text for w in WORRIES])
    scores = score_system("ranker", ranker_system(Ranker(index, RankingConfig())), index, WORRIES, vectors)
    assert scores.worries == 3
    assert scores.hit_at_1 == 1.0 and scores.mrr_at_10 == 1.0
    assert 0.0 < scores.ndcg_at_10 <= 1.0 and 0.0 < scores.question_ndcg_at_5 <= 1.0
    assert scores.low_confidence_unanswerable.endswith("/1") and scores.low_confidence_answerable.endswith("/3")


def test_ndcg_counts_every_answer_of_a_relevant_question(small_index_dir, embedder):
    """The crying question has two distinct answers (a third is an exact duplicate): both must be found."""
    index = load_index(small_index_dir)
    worry = [JudgedWorry("is it normal to cry in therapy", {"is-crying-in-therapy-normal": 1})]
    scores = score_system("r", ranker_system(Ranker(index, RankingConfig())), index, worry,
                          embedder.encode([worry[0].text]))
    assert scores.ndcg_at_10 == pytest.approx(1.0) and scores.question_ndcg_at_5 == pytest.approx(1.0)


def test_the_two_line_baseline_ranks_by_question_views_and_whole_answers(small_index_dir, embedder):
    index = load_index(small_index_dir)
    whole = embedder.encode([a.answer for a in index.answers])
    baseline = TwoLineBaseline(index, whole)
    answers, low = baseline("how can i sleep when i worry about work", embedder.encode(["sleep worry work"])[0])
    assert answers[0].question_id == "how-do-i-sleep-better" and low is False
    assert len({a.answer.lower() for a in answers}) == len(answers)  # repeated texts dropped


def test_the_automatic_benchmark_queries_each_question_for_its_own_answers(small_index_dir):
    index = load_index(small_index_dir)
    queries = question_queries(index)
    assert len(queries) == len(index.questions)
    assert all(len(q.relevant) == 1 for q in queries)


def test_the_command_prints_every_table_as_json(small_index_dir, tmp_path):
    qrels, folds, dev = tmp_path / "qrels.tsv", tmp_path / "folds.tsv", tmp_path / "dev.tsv"
    qrels.write_text("".join(f"{w.text}\t{k}\t{v}\n" for w in WORRIES for k, v in w.judged.items()))
    folds.write_text("".join(f"{w.text}\t{w.fold}\n" for w in WORRIES))
    dev.write_text("is it normal to cry in therapy\tis-crying-in-therapy-normal\n")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--index-dir", str(small_index_dir),
                           "--qrels", str(qrels), "--folds", str(folds), "--dev", str(dev), "--json"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    tables = json.loads(done.stdout)["tables"]
    assert list(tables)[:3] == ["judged set, test fold 0 (held out)", "judged set, folds 1-4", "dev worries (dev.tsv)"]
    systems = [row["system"] for row in tables["judged set, test fold 0 (held out)"]]
    assert systems[0].startswith("learned fusion") and any(s.startswith("two-line baseline") for s in systems)
    assert any(title.startswith("automatic") for title in tables)
