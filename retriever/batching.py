"""Micro-batching of query encodes: searches that arrive while the model is busy share its next call.

Why: under concurrent load, every search encoding its own query runs the model once per query,
each run competing for the same cores. One encoder thread that takes everything waiting in its
queue and encodes it in ONE call turns that into batches, with no fixed waiting window, and the
busier the service, the bigger the batches. A query that finds the model idle and nobody waiting
is encoded at once on its own thread: handing it to the encoder thread and back cost two thread
wake-ups per search for nothing (measured on the API at one client, README "Performance").
Queries of very different lengths are not padded to each other (`length_groups`).
"""
from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Callable

import numpy as np

EncodeFn = Callable[[list[str]], np.ndarray]


def length_groups(texts: list[str], ratio: float = 2.0, slack: int = 64) -> list[list[int]]:
    """Positions of `texts` grouped by similar length (longest at most `ratio` x shortest + `slack`
    characters), so a 2,000-character worry does not make fifteen short ones pay for its padding."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    groups: list[list[int]] = []
    for i in order:
        if groups and len(texts[i]) <= ratio * len(texts[groups[-1][0]]) + slack:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


class EncodeBatcher:
    """Encodes single texts submitted from many threads, in batches of up to `max_batch`."""

    def __init__(self, encode: EncodeFn, max_batch: int = 16):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._encode = encode
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[str, Future] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="encode-batcher", daemon=True)
        self._closed = False
        self._model = threading.Lock()  # held by whoever runs the model: the encoder thread or a lone caller
        self._pending = False  # the encoder thread holds a batch and waits for the model
        self._thread.start()

    def encode_one(self, text: str) -> np.ndarray:
        """The vector of `text`; blocks until the batch it joined is encoded (errors are re-raised)."""
        if self._closed:
            raise RuntimeError("the encode batcher is closed")
        if not self._pending and self._queue.empty() and self._model.acquire(blocking=False):
            try:  # the model is idle and nobody waits: no hand-off to the encoder thread
                return self._encode([text])[0]
            finally:
                self._model.release()
        future: Future = Future()
        self._queue.put((text, future))
        return future.result()

    def close(self) -> None:
        """Stop the encoder thread after the batches already queued."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._pending = True
            with self._model:
                self._pending = False
                self._encode_batch(batch)
            if stop:
                return

    def _encode_batch(self, batch: list[tuple[str, Future]]) -> None:
        texts = [text for text, _ in batch]
        for group in length_groups(texts):
            try:
                vectors = self._encode([texts[i] for i in group])
            except BaseException as error:  # the callers get the model's error; the thread lives on
                for i in group:
                    batch[i][1].set_exception(error)
                continue
            for row, i in enumerate(group):
                batch[i][1].set_result(vectors[row])
