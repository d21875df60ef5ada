"""Vector stores: the small interface every backend implements, and FAISS as the first one.

A store maps stable 63-bit ids to unit vectors and to the topics used for filtering, and returns
the nearest ids by inner product (= cosine for unit vectors). The ranker only sees this interface,
so another engine (Milvus) can be added without touching the API or the ranking.
"""
from __future__ import annotations

import json
from pathlib import Path
from contextlib import contextmanager
from typing import Iterable, Iterator, Protocol, Sequence

import faiss
import numpy as np


class VectorStore(Protocol):
    dimension: int

    def __len__(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray, topics: Sequence[Sequence[str]]) -> None:
        """Insert or replace vectors under the given ids."""

    def remove(self, ids: Iterable[int]) -> int:
        """Delete ids; return how many were present."""

    def search(self, queries: np.ndarray, k: int, topics: Sequence[str] | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores, ids), each of shape (len(queries), k), best first; missing slots are id -1."""

    def get_vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of `ids` (for reuse by incremental builds)."""

    def save(self, directory: Path, name: str) -> list[str]:
        """Write the store into `directory`; return the file names written."""


# A search of a few queries runs on one thread: FAISS's OpenMP team costs more than it saves on a
# small batch, and on a busy machine its threads wait for each other (measured: one query against
# 4,478 vectors, p50 0.2 ms on one thread vs 20 ms on two while other processes load the cores).
SINGLE_THREAD_MAX_QUERIES = 16


@contextmanager
def single_threaded(active: bool = True) -> Iterator[None]:
    """Run FAISS calls in this block on one OpenMP thread (the setting is per calling thread)."""
    if not active:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


# Up to this many vectors, search is exact (a flat scan: ~0.2 ms for CounselChat's 4,478 passages,
# ~100 ms for 1M on one core). Above it, the first `add` builds an inverted-file index with 8-bit
# scalar quantisation (IVF-SQ8): 4x less memory than flat, a few ms per query, recall@10 >= 0.95
# against exact search (scripts/bench_ann.py). IVF, unlike HNSW, supports removing ids, which
# incremental builds need; PQ would shrink memory further but loses recall below 0.95 without a
# re-ranking step that keeps the full vectors anyway.
FLAT_MAX_VECTORS = 100_000
IVF_PROBE_FRACTION = 1 / 16  # lists visited per query: nprobe = nlist / 16 (at least 64)


def choose_index_kind(count: int, flat_max: int = FLAT_MAX_VECTORS) -> str:
    """"flat" (exact) for up to `flat_max` vectors, "ivf-sq8" (approximate) above."""
    return "flat" if count <= flat_max else "ivf-sq8"


def new_ivf_index(vectors: np.ndarray) -> faiss.Index:
    """An IVF-SQ8 inner-product index trained on (a sample of) `vectors`; ids are kept by the index."""
    count, dimension = vectors.shape
    nlist = int(max(64, min(16384, np.sqrt(count))))  # ~1,000 lists for 1M: training and adding stay cheap
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFScalarQuantizer(quantizer, dimension, nlist, faiss.ScalarQuantizer.QT_8bit,
                                          faiss.METRIC_INNER_PRODUCT)
    sample = vectors if count <= 40 * nlist else vectors[np.random.default_rng(0).choice(count, 40 * nlist, replace=False)]
    index.train(np.ascontiguousarray(sample))
    index.nprobe = min(nlist, max(64, int(nlist * IVF_PROBE_FRACTION)))
    index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct() and remove_ids() by id
    return index


class FaissStore:
    """Inner-product search over an in-memory FAISS index with id mapping; exact (flat) up to
    `flat_max` vectors, IVF-SQ8 above (the kind is chosen by the first `add`, from its size)."""

    def __init__(self, dimension: int, index: faiss.Index | None = None,
                 topics: dict[int, list[str]] | None = None, flat_max: int = FLAT_MAX_VECTORS):
        self.dimension = dimension
        self.index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self.topics: dict[int, list[str]] = topics or {}
        self.flat_max = flat_max
        self._flat_view = None  # (sorted ids, their rows, the vectors) of a flat index; reset by add/remove

    @property
    def kind(self) -> str:
        return "ivf-sq8" if faiss.try_extract_index_ivf(self.index) is not None else "flat"

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray, topics: Sequence[Sequence[str]]) -> None:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension or len(ids) != len(vectors):
            raise ValueError(f"expected {len(ids)} vectors of dimension {self.dimension}, got {vectors.shape}")
        if not len(self) and self.kind == "flat" and choose_index_kind(len(vectors), self.flat_max) != "flat":
            self.index = new_ivf_index(vectors)
        self.remove(ids.tolist())
        self.index.add_with_ids(vectors, ids)
        self._flat_view = None
        for vid, vtopics in zip(ids.tolist(), topics):
            self.topics[vid] = list(vtopics)

    def remove(self, ids: Iterable[int]) -> int:
        ids = np.fromiter(ids, dtype=np.int64)
        if not len(ids):
            return 0
        if self.kind == "flat":
            removed = int(self.index.remove_ids(faiss.IDSelectorBatch(ids)))
        else:  # IVF's id hashtable removes only by an explicit id array
            removed = int(self.index.remove_ids(faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids))))
        for vid in ids.tolist():
            self.topics.pop(vid, None)
        self._flat_view = None
        return removed

    def search(self, queries: np.ndarray, k: int, topics: Sequence[str] | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        params = None
        if topics:
            wanted = set(topics)
            allowed = np.fromiter((vid for vid, vt in self.topics.items() if wanted.intersection(vt)), dtype=np.int64)
            selector = faiss.IDSelectorBatch(allowed)
            ivf = faiss.try_extract_index_ivf(self.index)
            params = (faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe) if ivf is not None
                      else faiss.SearchParameters(sel=selector))
        k = max(1, min(k, max(len(self), 1)))
        with single_threaded(len(queries) <= SINGLE_THREAD_MAX_QUERIES):
            scores, ids = self.index.search(queries, k, params=params)
        return scores, ids

    def get_vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The vectors of `ids`: rows of the flat index's own memory (no copy of the index, one gather),
        or reconstructed by FAISS in one call for IVF (approximate: SQ8)."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros((0, self.dimension), dtype=np.float32)
        view = self._vectors_in_memory()
        if view is None:
            return self.index.reconstruct_batch(ids)
        sorted_ids, rows, vectors = view
        if not len(sorted_ids):
            raise KeyError(f"ids not in the store: {ids[:5].tolist()}")
        where = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
        if not np.array_equal(sorted_ids[where], ids):
            raise KeyError(f"ids not in the store: {ids[sorted_ids[where] != ids][:5].tolist()}")
        return vectors[rows[where]]

    def _vectors_in_memory(self):
        """(sorted ids, their rows, the (n, d) vectors) as a view of a flat index's memory; None otherwise."""
        if self._flat_view is None and self.kind == "flat" and isinstance(self.index, faiss.IndexIDMap2):
            flat = faiss.downcast_index(self.index.index)
            count = int(self.index.ntotal)
            vectors = faiss.rev_swig_ptr(flat.get_xb(), count * self.dimension).reshape(count, self.dimension)
            ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
            order = np.argsort(ids)
            self._flat_view = (ids[order], order, vectors)
        return self._flat_view

    def save(self, directory: Path, name: str) -> list[str]:
        faiss.write_index(self.index, str(directory / f"{name}.faiss"))
        with open(directory / f"{name}.topics.json", "w", encoding="utf-8") as handle:
            json.dump({str(k): v for k, v in self.topics.items()}, handle)
        return [f"{name}.faiss", f"{name}.topics.json"]

    @classmethod
    def load(cls, directory: Path, name: str) -> "FaissStore":
        index = faiss.read_index(str(directory / f"{name}.faiss"))
        with open(directory / f"{name}.topics.json", encoding="utf-8") as handle:
            topics = {int(k): v for k, v in json.load(handle).items()}
        return cls(index.d, index, topics)
