"""A query's independent sources run at once, on a large index.

Why: at a million answers, each source of a query costs milliseconds (one FAISS search per question
view and one over the passages, BM25 top-k over questions and over answers, scoring the candidates'
stored vectors), and most of that time is spent in FAISS and numpy with the GIL released. Run one
after the other they add up; run side by side they take about as long as the longest, on a machine
with a spare core. At CounselChat size each source takes a fraction of a millisecond and a thread
hand-off would cost more than it saves, so the extractor only runs in parallel above a size
(retriever/signals.py).

A search starts its BM25 (which needs only the words) before its query encode, and takes the result
after (`Pending`). `in_parallel` never waits behind other searches: a call the pool has not started by the time the
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


class Pending:
    """A call offered to the shared pool now, its result taken later (`result`): run by a helper if
    one was free, else by whoever asks for it."""

    def __init__(self, call: Callable[[], Any]):
        self._call = call
        self._future = _shared_pool().submit(call)

    def result(self) -> Any:
        return self._call() if self._future.cancel() else self._future.result()

    def cancel(self) -> None:
        """Not wanted after all: dropped if no helper has started it."""
        self._future.cancel()


def in_parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Each call's result, the first run on this thread and the others offered to the shared pool;
    an offered call not yet started when this thread comes to it is run here instead."""
    if len(calls) < 2:
        return in_turn(*calls)
    offered = [Pending(call) for call in calls[1:]]
    try:
        results = [calls[0]()]
    except BaseException:
        for pending in offered:
            pending.cancel()
        raise
    return results + [pending.result() for pending in offered]
