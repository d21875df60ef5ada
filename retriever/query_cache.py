"""A bounded LRU cache of query embeddings.

Why: the same worries come back (the page's "More results", a chatbot retrying, popular phrasings),
and encoding is the largest part of a search. Keys are a hash of the exact query text, so the cache
does not keep people's worries in memory as text. Thread-safe: searches run on several threads.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np


class QueryVectorCache:
    def __init__(self, max_entries: int):
        self.max_entries = max(0, int(max_entries))
        self._entries: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, text: str) -> np.ndarray | None:
        if not self.max_entries:
            return None
        key = self.key(text)
        with self._lock:
            vector = self._entries.get(key)
            if vector is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        if not self.max_entries:
            return
        vector = np.array(vector, dtype=np.float32)  # a private copy, read-only: callers cannot alter it
        vector.setflags(write=False)
        key = self.key(text)
        with self._lock:
            self._entries[key] = vector
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
