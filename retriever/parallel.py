"""A query's independent sources run at once, on a large index.

Why: at a million answers, each source of a query costs milliseconds (one FAISS search per question
view and one over the passages, BM25 top-k over questions and over answers, scoring the candidates'
stored vectors), and most of that time is spent in FAISS and numpy with the GIL released. Run one
after the other they add up; run side by side they take about as long as the longest, on a machine
with a spare core. At CounselChat size each source takes a fraction of a millisecond and a thread
hand-off would cost more than it saves, so the extractor only runs in parallel above a size
(retriever/signals.py).

`in_parallel` never waits behind other searches: a call the pool has not started by the time the
caller needs it is taken back and run by the caller itself, so a busy pool degrades to running in
turn, never to queueing. Results and errors are the calls' own, in the order given.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

POOL_THREADS = 2  # helpers shared by every search of the process (the caller is the third runner)

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _shared_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=POOL_THREADS, thread_name_prefix="query-sources")
    return _pool


def in_turn(*calls: Callable[[], Any]) -> list[Any]:
    """Each call's result, one after the other, on this thread."""
    return [call() for call in calls]


def in_parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Each call's result, the first run on this thread and the others offered to the shared pool;
    an offered call not yet started when this thread comes to it is run here instead."""
    if len(calls) < 2:
        return in_turn(*calls)
    pool = _shared_pool()
    futures = [pool.submit(call) for call in calls[1:]]
    try:
        results = [calls[0]()]
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    for future, call in zip(futures, calls[1:]):
        results.append(call() if future.cancel() else future.result())
    return results
