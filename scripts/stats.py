"""Latency summaries the benchmark scripts print, written once so their figures mean the same thing."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95 and p99 (numpy's linear interpolation), rounded to 0.01 ms."""
    values = np.asarray(samples_ms, dtype=np.float64)
    return {f"p{p}": round(float(np.percentile(values, p)), 2) for p in (50, 95, 99)}


def nearest_rank(values: Sequence[float], p: float) -> float:
    """The sample at percentile `p` (0..100) of the sorted values: always a value that was measured."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
