"""The micro-batcher: concurrent single encodes share model calls, and nobody gets another's vector."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from retriever.batching import EncodeBatcher, length_groups


class RecordingModel:
    """Encodes a text as [len(text), hash-ish]; records each call's batch; slow enough to queue behind."""

    def __init__(self, seconds: float = 0.02):
        self.calls: list[list[str]] = []
        self.seconds = seconds
        self.lock = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        with self.lock:
            self.calls.append(list(texts))
        time.sleep(self.seconds)
        return np.array([[len(t), sum(map(ord, t))] for t in texts], dtype=np.float32)


def expected(text: str) -> list[float]:
    return [len(text), sum(map(ord, text))]


def test_a_lone_query_is_encoded_at_once_on_its_own():
    model = RecordingModel(seconds=0)
    batcher = EncodeBatcher(model, max_batch=16)
    try:
        started = time.perf_counter()
        vector = batcher.encode_one("i cannot sleep")
        assert time.perf_counter() - started < 0.5  # no batching window to wait out
    finally:
        batcher.close()
    assert vector.tolist() == expected("i cannot sleep")
    assert model.calls == [["i cannot sleep"]]


def test_concurrent_queries_share_model_calls_and_each_gets_its_own_vector():
    model = RecordingModel(seconds=0.03)
    batcher = EncodeBatcher(model, max_batch=8)
    texts = [f"worry number {i}" for i in range(24)]
    try:
        with ThreadPoolExecutor(max_workers=24) as pool:
            vectors = list(pool.map(batcher.encode_one, texts))
    finally:
        batcher.close()
    assert [v.tolist() for v in vectors] == [expected(t) for t in texts]
    assert sorted(t for call in model.calls for t in call) == sorted(texts)  # each encoded exactly once
    assert len(model.calls) < len(texts)  # some shared a call
    assert max(len(call) for call in model.calls) <= 8


def test_a_model_error_reaches_the_callers_of_that_batch_and_the_batcher_keeps_working():
    failing = {"on": True}

    def model(texts):
        if failing["on"]:
            raise RuntimeError("model broke")
        return np.ones((len(texts), 2), dtype=np.float32)

    batcher = EncodeBatcher(model, max_batch=4)
    try:
        with pytest.raises(RuntimeError, match="model broke"):
            batcher.encode_one("first")
        failing["on"] = False
        assert batcher.encode_one("second").tolist() == [1.0, 1.0]
    finally:
        batcher.close()


def test_a_closed_batcher_refuses_new_work():
    batcher = EncodeBatcher(RecordingModel(seconds=0), max_batch=2)
    batcher.close()
    with pytest.raises(RuntimeError, match="closed"):
        batcher.encode_one("too late")


def test_a_batch_size_below_one_is_refused():
    with pytest.raises(ValueError):
        EncodeBatcher(RecordingModel(), max_batch=0)


def test_length_groups_keep_a_very_long_query_apart_from_short_ones():
    texts = ["short", "x" * 2000, "also short", "a bit longer worry"]
    groups = length_groups(texts)
    assert sorted(i for g in groups for i in g) == [0, 1, 2, 3]
    long_group = next(g for g in groups if 1 in g)
    assert long_group == [1]
    assert any(set(g) == {0, 2, 3} for g in groups)
