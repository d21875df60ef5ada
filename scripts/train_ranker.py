#!/usr/bin/env python
"""Learn the ranking fusion (retriever/data/ranker.json) from the project's judged worries.

    python scripts/train_ranker.py --index-dir IDX          # an index of the 2020 CounselChat CSV

Data: data/ranking/qrels.tsv (every pooled judgement, relevant and not) and data/ranking/folds.tsv
(drawn once: fold 0 is the test fold, never used here but for the final figure; folds 1-4 train).
Each worry's candidates and named signals come from the ranker's own code (retriever/signals.py), and
a candidate answer is labelled relevant when its question was judged relevant.

Model: logistic regression of "this question was judged relevant" over each candidate question's
standardised signals (the highest over its candidate answers; retriever/fusion.py LearnedModel): its
output is a calibrated probability, which the service also uses as `confidence`. Questions, not
answers, are the rows: relevance was judged per question, and answer-level rows would reward
questions for having many answers. The regularisation and the signal set are chosen by
cross-validation over folds 1-4 only (train on three, score the fourth: answer nDCG@10 + question
nDCG@5); the `low_confidence` threshold too, from the same out-of-fold predictions (flag as many
worries without a relevant question as possible while flagging at most 8% of those with one). The
shipped model is trained on folds 1-4; its figures on fold 0 are held-out figures.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from index.loader import load_index
from retriever.evaluation import JudgedWorry, read_qrels, score_system
from retriever.fusion import DEFAULT_MODEL_FILE, LearnedModel
from retriever.ranking import Ranker, RankingConfig
from retriever.signals import SIGNALS, Candidates

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "ranking"
TEST_FOLD = 0
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)
SIGNAL_SETS = {
    "all": SIGNALS,
    "no gaps": tuple(s for s in SIGNALS if not s.endswith("_gap")),
    "no subject": tuple(s for s in SIGNALS if not s.startswith("subject")),
    "dense + bm25 only": ("q_title", "q_body", "q_combined", "q_best", "a_best", "a_mean", "bm25_q", "bm25_a"),
}
MAX_ANSWERABLE_FLAGGED = 0.08


def prepare(ranker: Ranker, worries: list[JudgedWorry], vectors: np.ndarray) -> list[tuple[Candidates, np.ndarray]]:
    """Each worry's candidates (the ranker's own) and their labels (1: the answer's question judged relevant)."""
    prepared = []
    for worry, vector in zip(worries, vectors):
        candidates = ranker.extractor.candidates(worry.text, vector)
        questions = [ranker.answers[p].question_id for p in candidates.positions]
        prepared.append((candidates, np.array([worry.judged.get(q, 0) for q in questions], dtype=np.int64)))
    return prepared


def question_rows(candidates: Candidates, labels: np.ndarray, features: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct candidate question: its signals (LearnedModel's view) and its label."""
    x, rows = candidates.per_question(features)
    y = np.zeros(len(x), dtype=np.int64)
    np.maximum.at(y, rows, labels)
    return x, y


def fit(prepared, rows: list[int], features: tuple[str, ...], c: float, threshold: float = 0.0) -> LearnedModel:
    """Logistic regression of "this question was judged relevant" over its standardised signals."""
    from sklearn.linear_model import LogisticRegression

    pairs = [question_rows(prepared[i][0], prepared[i][1], features) for i in rows]
    X = np.vstack([x for x, _ in pairs])
    y = np.concatenate([y for _, y in pairs])
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=c, max_iter=5000).fit((X - mean) / scale, y)
    return LearnedModel(features, mean, scale, model.coef_[0], float(model.intercept_[0]), threshold, {})


def system_for(ranker: Ranker, model: LearnedModel, prepared, worries: list[JudgedWorry], threshold: float):
    """A `System` (retriever/evaluation.py) that ranks precomputed candidates with `model`."""
    by_text = {w.text: prepared[i][0] for i, w in enumerate(worries)}

    def run(text: str, vector: np.ndarray):
        candidates = by_text[text]
        picked = ranker.pick(candidates, model.logits(candidates), 10)
        best = float(model.probabilities(candidates)[picked].max()) if picked else 0.0
        return [ranker.answers[int(candidates.positions[i])] for i in picked], best < threshold
    return run


def top_probability(model: LearnedModel, candidates: Candidates) -> float:
    return float(model.probabilities(candidates).max()) if len(candidates.positions) else 0.0


def cross_validate(ranker, prepared, worries, vectors, train_rows, say) -> tuple[dict, dict]:
    """Choose (signal set, C) by leave-one-fold-out over the train folds; also the out-of-fold top probabilities."""
    folds = sorted({worries[i].fold for i in train_rows})
    results = {}
    for set_name, features in SIGNAL_SETS.items():
        for c in C_GRID:
            per_fold, top = [], {}
            for fold in folds:
                fit_rows = [i for i in train_rows if worries[i].fold != fold]
                held = [i for i in train_rows if worries[i].fold == fold]
                model = fit(prepared, fit_rows, features, c)
                scores = score_system("cv", system_for(ranker, model, prepared, worries, 0.0), ranker.index,
                                      [worries[i] for i in held], vectors[held])
                per_fold.append((scores.ndcg_at_10, scores.question_ndcg_at_5))
                top.update({i: top_probability(model, prepared[i][0]) for i in held})
            ndcg10, qndcg5 = (float(np.mean(v)) for v in zip(*per_fold))
            results[(set_name, c)] = {"ndcg_at_10": round(ndcg10, 4), "question_ndcg_at_5": round(qndcg5, 4),
                                      "top_probability": top}
            say(f"  {set_name:18s} C={c:<5} CV nDCG@10 {ndcg10:.4f}  question nDCG@5 {qndcg5:.4f}")
    best = max(results, key=lambda key: results[key]["ndcg_at_10"] + results[key]["question_ndcg_at_5"])
    return {"signal_set": best[0], "c": best[1], **{k: v for k, v in results[best].items() if k != "top_probability"}}, \
        results[best]["top_probability"]


def choose_threshold(top: dict[int, float], worries: list[JudgedWorry], answerable: set[int]) -> tuple[float, dict]:
    """The highest threshold flagging at most MAX_ANSWERABLE_FLAGGED of answerable worries (out-of-fold)."""
    can = np.sort([top[i] for i in top if i in answerable])
    cannot = np.array([top[i] for i in top if i not in answerable])
    limit = int(np.floor(MAX_ANSWERABLE_FLAGGED * len(can)))
    threshold = float(can[limit]) if len(can) > limit else 0.5  # flags exactly `limit` answerable worries
    return threshold, {"answerable_flagged": int((can < threshold).sum()), "answerable": len(can),
                       "unanswerable_flagged": int((cannot < threshold).sum()), "unanswerable": len(cannot)}


def main(argv: list[str] | None = None) -> int:
    from api.wiring import open_model
    from settings import Settings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True, help="an index of the 2020 CounselChat CSV")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_FILE, help="where the model goes")
    args = parser.parse_args(argv)
    say = lambda line: print(line, file=sys.stderr)
    settings = Settings()
    index = load_index(args.index_dir)
    worries = read_qrels(DATA / "qrels.tsv", DATA / "folds.tsv")
    embedder = open_model(settings)
    vectors = embedder.encode([w.text for w in worries])
    ranker = Ranker(index, RankingConfig(fusion="weighted"))
    started = time.perf_counter()
    prepared = prepare(ranker, worries, vectors)
    say(f"{len(worries)} worries, {sum(len(p[1]) for p in prepared)} candidates "
        f"({sum(int(p[1].sum()) for p in prepared)} relevant) in {time.perf_counter() - started:.0f} s")
    answers_of = {a.question_id for a in index.answers}
    answerable = {i for i, w in enumerate(worries) if w.relevant & answers_of}
    train_rows = [i for i, w in enumerate(worries) if w.fold != TEST_FOLD]
    test_rows = [i for i, w in enumerate(worries) if w.fold == TEST_FOLD]
    chosen, top = cross_validate(ranker, prepared, worries, vectors, train_rows, say)
    threshold, abstention = choose_threshold(top, worries, answerable)
    features = SIGNAL_SETS[chosen["signal_set"]]
    model = fit(prepared, train_rows, features, chosen["c"], threshold)
    test = score_system("learned", system_for(ranker, model, prepared, worries, threshold), index,
                        [worries[i] for i in test_rows], vectors[test_rows])
    info = {"trained_on": f"data/ranking folds 1-4 ({len(train_rows)} worries); fold 0 held out",
            "cross_validation": chosen, "low_confidence_out_of_fold": abstention, "test_fold": test.to_dict(),
            "index_version": index.manifest.version, "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    model = LearnedModel(model.features, model.mean, model.scale, model.coef, model.intercept, threshold, info)
    model.save(args.out)
    LearnedModel.load(args.out)
    print(json.dumps({"chosen": chosen, "threshold": round(threshold, 4), "abstention_cv": abstention,
                      "test_fold": test.to_dict(),
                      "weights": {f: round(float(w), 3) for f, w in zip((*features, "answers"), model.coef)}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
