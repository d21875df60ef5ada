"""Turning per-signal scores into one ranking: normalisation and fusion, one function per idea."""
from __future__ import annotations

import numpy as np


def max_normalize(scores: np.ndarray) -> np.ndarray:
    """Scale non-negative scores (BM25) into [0, 1] by the best one; all zeros stay zeros."""
    top = float(scores.max(initial=0.0))
    return scores / top if top > 0 else np.zeros_like(scores)


def reciprocal_rank_fusion(score_lists: list[np.ndarray], weights: list[float], k: float = 60.0) -> np.ndarray:
    """Weighted RRF over aligned score arrays: sum of w / (k + rank), rank 1 = best in that signal."""
    fused = np.zeros(len(score_lists[0]), dtype=np.float64)
    for scores, weight in zip(score_lists, weights):
        if weight == 0:
            continue
        ranks = np.empty(len(scores), dtype=np.float64)
        ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
        fused += weight / (k + ranks)
    return fused


def weighted_sum(score_lists: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """Sum of w * score over aligned score arrays."""
    fused = np.zeros(len(score_lists[0]), dtype=np.float64)
    for scores, weight in zip(score_lists, weights):
        if weight:
            fused += weight * np.asarray(scores, dtype=np.float64)
    return fused
