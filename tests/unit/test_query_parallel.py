"""A query's sources side by side (retriever/parallel.py) and the distinct positions it builds
(retriever/sets.py): the same results as running in turn and as np.unique."""
import threading

import numpy as np
import pytest

from retriever import parallel
from retriever.parallel import in_parallel, in_turn
from retriever.sets import distinct, distinct_of


def test_results_come_back_in_the_order_of_the_calls():
    calls = [lambda n=n: n * n for n in range(5)]
    assert in_parallel(*calls) == in_turn(*calls) == [0, 1, 4, 9, 16]
    assert in_parallel(lambda: "alone") == ["alone"]


def test_a_call_that_fails_raises_its_own_error():
    def broken():
        raise ValueError("this source failed")
    with pytest.raises(ValueError, match="this source failed"):
        in_parallel(lambda: 1, broken)
    with pytest.raises(KeyError):
        in_parallel(lambda: {}["missing"], lambda: 2)


def test_a_busy_pool_never_makes_a_search_wait_its_turn():
    """Every helper thread blocked by other work: the offered calls run on the caller instead."""
    release = threading.Event()
    pool = parallel._shared_pool()
    blockers = [pool.submit(release.wait) for _ in range(parallel.POOL_THREADS)]
    try:
        callers = []
        assert in_parallel(lambda: threading.get_ident(), lambda: callers.append(threading.get_ident()) or 2,
                           lambda: callers.append(threading.get_ident()) or 3)[1:] == [2, 3]
        assert callers == [threading.get_ident()] * 2
    finally:
        release.set()
        for blocker in blockers:
            blocker.result()


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_distinct_is_np_unique(dtype):
    rng = np.random.default_rng(0)
    for size in (0, 1, 2, 7, 300, 5000):
        values = rng.integers(0, max(1, size // 3), size).astype(dtype)
        got = distinct(values)
        assert got.dtype == dtype and np.array_equal(got, np.unique(values))
    parts = [rng.integers(0, 50, n) for n in (0, 10, 40)]
    assert np.array_equal(distinct_of(*parts), np.unique(np.concatenate(parts)))
    assert distinct_of().size == 0
