"""Turning the named signals of the candidates into one score: one function per fusion mode.

- `learned` (the default): a logistic model over the named signals (retriever/data/ranker.json),
  trained on the project's judged worries (scripts/train_ranker.py); its output is also the
  calibrated probability that the answer fits (`confidence`);
- `weighted`: round 1's hand-set weights (kept as a baseline);
- `rrf`: reciprocal-rank fusion of the dense and lexical signals (measured worse; a baseline).
Each takes a `Candidates` and returns one score per candidate, higher is better.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from retriever.signals import SIGNALS, Candidates

DEFAULT_MODEL_FILE = Path(__file__).parent / "data" / "ranker.json"
# Round 1's weights: question cosine 1, answer passages 0.25 ((best + 0.3 mean) / 1.3), BM25 0.1 / 0.05, prior 0.01.
HAND_WEIGHTS = {"q_best": 1.0, "a_best": 0.25 / 1.3, "a_mean": 0.25 * 0.3 / 1.3, "bm25_q": 0.1, "bm25_a": 0.05,
                "prior": 0.01}
RRF_SIGNALS = ("q_best", "a_best", "bm25_q", "bm25_a")


class RankerModelError(ValueError):
    """The learned ranking model is missing, damaged, or reads signals this code does not compute."""


ANSWER_COUNT = "answers"  # the per-question feature after the signals: log(1 + candidate answers)
WITHIN_QUESTION = 0.01  # answers of one question follow their best passage cosine (a_best) below the question's score


@dataclass(frozen=True)
class LearnedModel:
    """A logistic model of "this question fits the worry" over standardised per-question signals:
    logit = ((x - mean) / scale) . coef + intercept, where x is the question's signals (the highest
    over its candidate answers: Candidates.per_question) and then log(1 + its candidate answers).
    Each answer gets its question's logit (+ WITHIN_QUESTION x its best passage cosine, to order
    answers within a question); the probability is the calibrated `confidence`."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    confidence_threshold: float  # below this, the best result's probability makes the response low_confidence
    info: dict

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MODEL_FILE) -> "LearnedModel":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            model = cls(tuple(data["features"]), np.array(data["mean"]), np.array(data["scale"]),
                        np.array(data["coef"]), float(data["intercept"]), float(data["confidence_threshold"]),
                        data.get("info", {}))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise RankerModelError(f"cannot read the ranking model {path}: {error}") from error
        unknown = [f for f in model.features if f not in SIGNALS]
        if unknown or not (len(model.mean) == len(model.scale) == len(model.coef) == len(model.features) + 1):
            raise RankerModelError(f"{path} reads signals this code does not compute ({unknown}) or is malformed; "
                                   "retrain it (scripts/train_ranker.py)")
        return model

    def question_logits(self, candidates: Candidates) -> tuple[np.ndarray, np.ndarray]:
        """(a logit per distinct candidate question, each candidate's question row)."""
        x, rows = candidates.per_question(self.features)
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept, rows

    def logits(self, candidates: Candidates) -> np.ndarray:
        if not len(candidates.positions):
            return np.zeros(0)
        questions, rows = self.question_logits(candidates)
        return questions[rows] + WITHIN_QUESTION * candidates.values["a_best"]

    def probabilities(self, candidates: Candidates) -> np.ndarray:
        """P(the answer's question fits the worry), per candidate."""
        if not len(candidates.positions):
            return np.zeros(0)
        questions, rows = self.question_logits(candidates)
        return probability(questions)[rows]

    def save(self, path: str | Path) -> None:
        data = {"features": list(self.features), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept,
                "confidence_threshold": self.confidence_threshold, "info": self.info}
        Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def learned(candidates: Candidates, model: LearnedModel) -> np.ndarray:
    return model.logits(candidates)


def weighted(candidates: Candidates, weights: dict[str, float] = HAND_WEIGHTS) -> np.ndarray:
    total = np.zeros(len(candidates.positions))
    for name, weight in weights.items():
        total += weight * candidates.values[name]
    return total


def rrf(candidates: Candidates, names: tuple[str, ...] = RRF_SIGNALS, k: float = 60.0) -> np.ndarray:
    fused = np.zeros(len(candidates.positions))
    for name in names:
        ranks = np.empty(len(fused))
        ranks[np.argsort(-candidates.values[name], kind="stable")] = np.arange(1, len(fused) + 1)
        fused += 1.0 / (k + ranks)
    return fused


def probability(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -40, 40)))


FUSIONS: dict[str, Callable] = {"learned": learned, "weighted": weighted, "rrf": rrf}
