"""The baselines' confidence: a logistic of a result's best cosine (the learned fusion brings its own).

Fused scores and RRF ranks are not probabilities, and raw cosines of all-MiniLM-L6-v2 are small
numbers whose meaning depends on the text lengths. The confidence is a logistic function of the
result's best cosine evidence (the worry's cosine to the answer's question, or to its best passage,
whichever is higher), with slope and intercept fitted by `scripts/calibrate_confidence.py` on the
automatic benchmark: every CounselChat question as a query, its top retrieved answers labelled
right (answers to that question) or wrong. That data has no hand labels and never sees the
labelled worries, so the worries and the off-topic worries in tests/data stay a fair test of it.

`low_confidence` marks a response whose best result is below `threshold`: the page and chatbots
should then say that nothing in the collection fits well, instead of presenting a loosely related
answer as the answer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

# Fitted by scripts/calibrate_confidence.py (see README "Evaluation"); refit when the model changes.
FITTED_SLOPE = 15.995
FITTED_INTERCEPT = -11.242


@dataclass(frozen=True)
class ConfidenceModel:
    slope: float = FITTED_SLOPE
    intercept: float = FITTED_INTERCEPT
    threshold: float = 0.05

    def confidence(self, evidence: float) -> float:
        """P(relevant) for a result whose best cosine to the worry is `evidence`."""
        z = self.slope * evidence + self.intercept
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def is_low(self, best_confidence: float | None) -> bool:
        """True when even the best result (None: there is none) is a poor match."""
        return best_confidence is None or best_confidence < self.threshold


def evidence_of(signals: dict[str, float]) -> float:
    """The best cosine a result has to the worry: to its question or to its closest passage."""
    return max(signals.get("q_best", 0.0), signals.get("a_best", 0.0))
