#!/usr/bin/env python
"""Fit the confidence model on the automatic benchmark, then test it on worries it never saw.

    python scripts/calibrate_confidence.py --index-dir indexes/counselchat \\
        [--queries dev_queries.tsv] [--off-topic tests/data/off_topic_worries.txt] [--json]

Fitting data (no hand labels): every question of the index as a query against the answer text
only (dense over passages), its top 10 answers labelled right when they answer that question.
A logistic regression of right/wrong on the cosine evidence gives slope and intercept, to be copied
into retriever/confidence.py. Then, with those fitted values, the share of responses flagged
low_confidence is printed for labelled worries (should be low) and for off-topic worries (should
be high), through the real ranker.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

import numpy as np


from index.loader import load_index
from retriever.confidence import ConfidenceModel, evidence_of
from retriever.evaluation import baseline_configs, question_queries, read_labelled_queries
from retriever.ranking import Ranker
from api.wiring import ranking_config
from scripts.options import add_model_options, open_model
from settings import Settings


def fit_logistic(x: np.ndarray, y: np.ndarray, steps: int = 50) -> tuple[float, float]:
    """Slope and intercept of P(y=1) = sigmoid(a x + b), by Newton's method (tiny L2 for stability)."""
    X = np.column_stack([x, np.ones_like(x)])
    w = np.zeros(2)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-X @ w))
        gradient = X.T @ (p - y) + 1e-3 * w
        hessian = (X * (p * (1 - p))[:, None]).T @ X + 1e-3 * np.eye(2)
        w -= np.linalg.solve(hessian, gradient)
    return float(w[0]), float(w[1])


def read_lines(path: str) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip() and not line.startswith("#")]


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", default=settings.index_dir)
    add_model_options(parser, settings)
    parser.add_argument("--queries", help="labelled worries (TSV): should mostly NOT be flagged")
    parser.add_argument("--off-topic", default="tests/data/off_topic_worries.txt", help="worries with no good match")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    index = load_index(args.index_dir, expected_model=args.model)
    embedder = open_model(args, settings)

    questions = question_queries(index)
    vectors = embedder.encode([q.text for q in questions])
    dense_answers = Ranker(index, baseline_configs()["dense answers (foundation)"])
    evidence, right = [], []
    for query, vector in zip(questions, vectors):
        for result in dense_answers.rank(query.text, vector, 10).results:
            evidence.append(evidence_of(result.signals))
            right.append(1.0 if result.answer.question_id in query.relevant_questions else 0.0)
    slope, intercept = fit_logistic(np.array(evidence), np.array(right))

    config = replace(ranking_config(settings))
    ranker = Ranker(index, config)
    ranker.confidence = ConfidenceModel(slope, intercept, config.confidence_threshold)
    report = {"fitted": {"slope": round(slope, 3), "intercept": round(intercept, 3),
                         "pairs": len(right), "right": int(sum(right))},
              "threshold": config.confidence_threshold}
    sets = {"off_topic": read_lines(args.off_topic)}
    if args.queries:
        sets["labelled"] = [q.text for q in read_labelled_queries(args.queries)]
    for name, texts in sets.items():
        flagged, best = 0, []
        for text, vector in zip(texts, embedder.encode(texts)):
            ranking = ranker.rank(text, vector, 10)
            flagged += ranking.low_confidence
            best.append(round(ranking.results[0].confidence, 3) if ranking.results else 0.0)
        report[name] = {"queries": len(texts), "flagged_low_confidence": flagged,
                        "flagged_share": round(flagged / len(texts), 3), "median_best_confidence": float(np.median(best))}
    print(json.dumps(report, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in report.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
