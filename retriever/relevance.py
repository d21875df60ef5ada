"""Ranking metrics with binary relevance: hit@k, MRR@k and nDCG@k.

A ranked list is a list of labels (any hashable) and the relevant set holds the labels that count.
Repeated relevant labels in the ranking earn a gain only the first time, so ten copies of one
answer are not ten hits; the ideal ranking for nDCG counts each distinct relevant label once.
"""
from __future__ import annotations

import math
from typing import Hashable, Sequence


def _first_time_gains(ranked: Sequence[Hashable], relevant: set, k: int) -> list[int]:
    seen, gains = set(), []
    for label in ranked[:k]:
        gains.append(1 if label in relevant and label not in seen else 0)
        seen.add(label)
    return gains


def hit_at_k(ranked: Sequence[Hashable], relevant: set, k: int) -> float:
    return 1.0 if any(label in relevant for label in ranked[:k]) else 0.0


def mrr_at_k(ranked: Sequence[Hashable], relevant: set, k: int = 10) -> float:
    for rank, label in enumerate(ranked[:k], start=1):
        if label in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[Hashable], relevant: set, k: int = 10) -> float:
    dcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(_first_time_gains(ranked, relevant, k), start=1))
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal if ideal else 0.0
