"""Vector stores: the small interface every backend implements, and FAISS as the first one.

A store maps stable 63-bit ids to unit vectors and to the topics used for filtering, and returns
the nearest ids by inner product (= cosine for unit vectors). The ranker only sees this interface,
so another engine (Milvus) can be added without touching the API or the ranking.
"""
from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from contextlib import contextmanager
from typing import Iterable, Iterator, Protocol, Sequence

import faiss
import numpy as np

from index.arrays import open_array, save_array


class VectorStore(Protocol):
    dimension: int

    def __len__(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray, topics: Sequence[Sequence[str]]) -> None:
        """Insert or replace vectors under the given ids."""

    def remove(self, ids: Iterable[int]) -> int:
        """Delete ids; return how many were present."""

    def search(self, queries: np.ndarray, k: int, topics: Sequence[str] | None = None, *,
               ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores, ids), each of shape (len(queries), k), best first; missing slots are id -1.

        `topics`: only vectors under any of them; `ids`: only these ids (both applied inside the engine).
        """

    def cosines(self, query: np.ndarray, ids: Sequence[int]) -> np.ndarray:
        """The inner product of one unit `query` with the stored vector of each of `ids` (the ranker's signals)."""

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
# against exact search (benchmarks/bench_ann.py). IVF, unlike HNSW, supports removing ids, which
# incremental builds need; PQ would shrink memory further but loses recall below 0.95 without a
# re-ranking step that keeps the full vectors anyway.
FLAT_MAX_VECTORS = 100_000
# Lists visited per query: nprobe = nlist / 32, at least IVF_MIN_PROBES. Half of what it was (nlist / 16,
# at least 64): at 1M answers the ranker's recall@10 against the exact ranking stayed 0.975 (0.992 with
# a topic) and a query took 22.6 -> 18.8 ms (benchmarks/README.md); a third cost recall (0.971, 0.976).
IVF_PROBE_FRACTION = 1 / 32
IVF_MIN_PROBES = 32


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
    index.nprobe = min(nlist, max(IVF_MIN_PROBES, int(nlist * IVF_PROBE_FRACTION)))
    index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct() and remove_ids() by id
    return index


class ReadOnlyStoreError(RuntimeError):
    """A store mapped from an index version's file cannot change (versions are immutable: build a new one)."""


TOPICS_FORMAT = "topic-ids-v1"  # <name>.topics.json names the topics, <name>.topic_ids.npy holds their ids


class FaissStore:
    """Inner-product search over a FAISS index with id mapping; exact (flat) up to `flat_max` vectors,
    IVF-SQ8 above (the kind is chosen by the first `add`, from its size).

    Topics are kept per topic as a sorted array of ids (not per id), and a topic filter searches
    with that topic's FAISS id selector, built once per topic and kept: the engine skips the other
    ids itself, with no per-query work over the corpus. A store loaded from a version is mapped
    read-only from its file (pages shared by every worker, nothing read until searched)."""

    def __init__(self, dimension: int, index: faiss.Index | None = None,
                 topics: dict[int, list[str]] | None = None, flat_max: int = FLAT_MAX_VECTORS, *,
                 topic_ids: dict[str, np.ndarray] | None = None, read_only: bool = False):
        self.dimension = dimension
        self.index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self.flat_max = flat_max
        self.read_only = read_only
        self.topic_ids: dict[str, np.ndarray] = dict(topic_ids or {})  # topic -> sorted unique ids
        self._selectors: dict[str, faiss.IDSelector] = {}  # topic -> its selector, made at its first search
        self._rows: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # see _flat_rows
        self._lock = threading.Lock()
        if topics:
            self._add_topics(np.fromiter(topics, dtype=np.int64, count=len(topics)), list(topics.values()))

    @property
    def kind(self) -> str:
        return "ivf-sq8" if faiss.try_extract_index_ivf(self.index) is not None else "flat"

    @property
    def topics(self) -> dict[int, list[str]]:
        """id -> its topics (built on demand, in proportion to the store: for tests and tools)."""
        out: dict[int, list[str]] = {}
        for topic in sorted(self.topic_ids):
            for vid in self.topic_ids[topic].tolist():
                out.setdefault(vid, []).append(topic)
        return out

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray, topics: Sequence[Sequence[str]]) -> None:
        self._writable()
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension or len(ids) != len(vectors):
            raise ValueError(f"expected {len(ids)} vectors of dimension {self.dimension}, got {vectors.shape}")
        if not len(self) and self.kind == "flat" and choose_index_kind(len(vectors), self.flat_max) != "flat":
            self.index = new_ivf_index(vectors)
        self.remove(ids)
        self.index.add_with_ids(vectors, ids)
        self._add_topics(ids, topics)

    def _add_topics(self, ids: np.ndarray, topics: Sequence[Sequence[str]]) -> None:
        counts = np.fromiter((len(t) for t in topics), dtype=np.int64, count=len(ids))
        names = [name for vtopics in topics for name in vtopics]
        if not names:
            return
        owners = np.repeat(ids, counts)
        kinds, codes = np.unique(np.array(names, dtype=object).astype(str), return_inverse=True)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(kinds) + 1))
        for n, topic in enumerate(kinds.tolist()):
            new = owners[order[bounds[n]:bounds[n + 1]]]
            self.topic_ids[topic] = np.union1d(self.topic_ids.get(topic, np.zeros(0, np.int64)), new)
            self._selectors.pop(topic, None)

    def remove(self, ids: Iterable[int]) -> int:
        self._writable()
        ids = np.unique(np.fromiter(ids, dtype=np.int64)) if not isinstance(ids, np.ndarray) else \
            np.unique(ids.astype(np.int64))
        if not len(ids) or not len(self):
            return 0
        if self.kind == "flat":
            removed = int(self.index.remove_ids(faiss.IDSelectorBatch(ids)))
        else:  # IVF's id hashtable removes only by an explicit id array
            removed = int(self.index.remove_ids(faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids))))
        for topic, members in list(self.topic_ids.items()):
            kept = members[~np.isin(members, ids, assume_unique=True)]
            if len(kept) != len(members):
                self.topic_ids[topic] = kept
                self._selectors.pop(topic, None)
        return removed

    def _writable(self) -> None:
        if self.read_only:
            raise ReadOnlyStoreError("this vector store is mapped read-only from an index version; "
                                     "a build writes a new store instead")

    def _topic_selector(self, topic: str) -> faiss.IDSelector:
        selector = self._selectors.get(topic)
        if selector is None:
            with self._lock:
                selector = self._selectors.get(topic)
                if selector is None:
                    selector = self._selectors[topic] = faiss.IDSelectorBatch(
                        np.ascontiguousarray(self.topic_ids[topic], dtype=np.int64))
        return selector

    def search(self, queries: np.ndarray, k: int, topics: Sequence[str] | None = None, *,
               ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """`topics`: only vectors under any of them (the topics' kept selectors, OR-ed); `ids`: only
        these (a selector made for this call, AND-ed). An IVF index probes more lists the fewer
        vectors a filter leaves, so a narrow filter still finds its nearest ones."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        keep: list = []  # keep[0] filters; the rest are what it points at, alive until the search is done
        allowed = len(self)
        if topics:
            wanted = [t for t in dict.fromkeys(topics) if t in self.topic_ids]
            keep = _or_all([self._topic_selector(t) for t in wanted]) if wanted else \
                [faiss.IDSelectorBatch(np.zeros(0, np.int64))]
            allowed = sum(len(self.topic_ids[t]) for t in wanted)
        if ids is not None:
            ids = np.ascontiguousarray(ids, dtype=np.int64)
            by_id = faiss.IDSelectorBatch(ids)
            keep = [faiss.IDSelectorAnd(keep[0], by_id), *keep, by_id] if keep else [by_id]
            allowed = min(allowed, len(ids))
        params = None
        if keep:
            ivf = faiss.try_extract_index_ivf(self.index)
            if ivf is not None:
                widen = len(self) / max(allowed, 1)
                params = faiss.SearchParametersIVF(sel=keep[0], nprobe=int(min(ivf.nlist, math.ceil(ivf.nprobe * widen))))
            else:
                params = faiss.SearchParameters(sel=keep[0])
        k = max(1, min(k, max(len(self), 1)))
        with single_threaded(len(queries) <= SINGLE_THREAD_MAX_QUERIES):
            scores, found = self.index.search(queries, k, params=params)
        del keep
        return scores, found

    def cosines(self, query: np.ndarray, ids: Sequence[int]) -> np.ndarray:
        """float32 inner product of one unit `query` with the stored vector of each of `ids` (in their order)."""
        return np.asarray(self.get_vectors(ids), dtype=np.float32) @ np.asarray(query, dtype=np.float32)

    def get_vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of `ids` (exact for flat, decoded from 8 bits for IVF-SQ8). A flat store
        reads them straight from its (mapped) array; FAISS's batch reconstruct would start an OpenMP
        team above 1,000 ids (measured: 12 ms instead of 1.2 ms for 1,800 on a busy 2-core machine)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows = self._flat_rows()
        if rows is not None:
            sorted_ids, positions, vectors = rows
            where = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
            if np.array_equal(sorted_ids[where], ids):
                return vectors[positions[where]]
        with single_threaded():
            return self.index.reconstruct_batch(ids)

    def _flat_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(ids sorted, their rows, the vectors as a numpy view) of a flat store that no longer changes."""
        if not self.read_only or self.kind != "flat":
            return None
        if self._rows is None:
            with self._lock:
                if self._rows is None:
                    ids = faiss.vector_to_array(self.index.id_map)
                    flat = faiss.downcast_index(self.index.index)
                    vectors = faiss.rev_swig_ptr(flat.get_xb(), len(ids) * self.dimension).reshape(len(ids), self.dimension)
                    order = np.argsort(ids)
                    self._rows = (ids[order], order.astype(np.int64), vectors)
        return self._rows

    def save(self, directory: Path, name: str) -> list[str]:
        faiss.write_index(self.index, str(directory / f"{name}.faiss"))
        topics = sorted(self.topic_ids)
        with open(directory / f"{name}.topics.json", "w", encoding="utf-8") as handle:
            json.dump({"format": TOPICS_FORMAT, "topics": topics,
                       "counts": [len(self.topic_ids[t]) for t in topics]}, handle)
        members = [self.topic_ids[t] for t in topics]
        save_array(directory / f"{name}.topic_ids.npy", np.concatenate(members) if members else np.zeros(0, np.int64))
        return [f"{name}.faiss", f"{name}.topics.json", f"{name}.topic_ids.npy"]

    @classmethod
    def load(cls, directory: Path, name: str, *, mapped: bool = True) -> "FaissStore":
        """The store `name` of `directory`; `mapped`: its vectors mapped read-only from the file, not copied."""
        index = faiss.read_index(str(directory / f"{name}.faiss"), faiss.IO_FLAG_MMAP_IFC if mapped else 0)
        with open(directory / f"{name}.topics.json", encoding="utf-8") as handle:
            described = json.load(handle)
        if described.get("format") != TOPICS_FORMAT:  # a version written before: {id: [topics]}
            return cls(index.d, index, {int(k): v for k, v in described.items()}, read_only=mapped)
        members = open_array(directory / f"{name}.topic_ids.npy")
        bounds = np.concatenate([[0], np.cumsum(described["counts"])]).astype(np.int64)
        topic_ids = {t: members[bounds[n]:bounds[n + 1]] for n, t in enumerate(described["topics"])}
        return cls(index.d, index, topic_ids=topic_ids, read_only=mapped)


def _or_all(selectors: list) -> list:
    """One selector accepting what any of `selectors` accepts, first; then every part it points at."""
    combined, parts = selectors[0], list(selectors)
    for other in selectors[1:]:
        combined = faiss.IDSelectorOr(combined, other)
        parts.append(combined)
    return [combined, *parts]
