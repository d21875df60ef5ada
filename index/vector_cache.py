"""Vectors of fixed texts, kept on disk so a restart does not embed them again.

Why: the service embeds ~100 packaged crisis prototype sentences at every start, ~0.45 s of a ~3 s
cold start on the model's thread (the longer of the two loading paths). The texts and the model
do not change between starts, so their vectors are read back instead. Only fixed texts go through
here: never a user's query (the cache key is a hash, but a file per query would still be a trace).
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

log = logging.getLogger(__name__)
Encode = Callable[[list[str]], np.ndarray]


def cached_encoder(encode: Encode, backend: str, cache_dir: str | Path) -> Encode:
    """`encode`, reading the vectors of a list of texts it embedded before with `backend` from disk."""
    cache_dir = Path(cache_dir).expanduser()

    def cached(texts: list[str]) -> np.ndarray:
        texts = list(texts)
        key = hashlib.sha256("\x1e".join([backend, *texts]).encode("utf-8")).hexdigest()[:32]
        path = cache_dir / f"vectors-{key}.npy"
        try:
            vectors = np.load(path, allow_pickle=False)
            if vectors.shape[0] == len(texts) and vectors.dtype == np.float32:
                return vectors
        except (OSError, ValueError):
            pass  # not there yet, or unreadable: embed again
        vectors = np.ascontiguousarray(encode(texts), dtype=np.float32)
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=cache_dir, prefix=".vectors-", suffix=".npy", delete=False) as handle:
                np.save(handle, vectors, allow_pickle=False)
            os.replace(handle.name, path)
        except OSError as error:  # a read-only home: the service still starts, it just embeds every time
            log.warning("cannot keep vectors in %s (%s)", cache_dir, error)
        return vectors

    return cached
