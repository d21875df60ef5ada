"""A vector store kept in Milvus, so that every API replica shares one index updated in place.

Same contract as `FaissStore` (ids -> unit vectors + topics, inner-product search, (scores, ids)
best first padded with id -1), written against `pymilvus.MilvusClient` only, whose code is the same
for milvus-lite (a local file), a standalone server and a distributed cluster: only the URI changes.

One collection holds one store: `id` (INT64 primary, our stable vector id), `vector`
(FLOAT_VECTOR, IP metric: vectors are unit length, so this is cosine, and scores equal FAISS's),
`topics` (ARRAY of VARCHAR, filtered with array_contains_any), `answer_id`, `question_id` and
`upvotes` (so the engine can filter on them too). The vectors live in the engine; the index
version directory only records which collection and which settings (`<name>.milvus.json`).

A store opened for an index version may be given the ids that version knows (`known_ids`): an
incremental build updates the shared collection in place while replicas may still serve the
previous version for a moment, and ids that version has no metadata for are left out of results.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

MILVUS_MAX_TOPK = 16384
# Milvus refuses a request over 64 MB; writes go in batches of at most this many (estimated) bytes, so a
# build of millions of rows makes a few hundred requests, each well under the limit whatever the encoding.
WRITE_BATCH_BYTES = 32 * 2**20
DELETE_BATCH = 1000  # ids per delete expression
READ_BATCH = 1000
TOPICS_CAPACITY = 64
TEXT_FIELD_LENGTH = 1024
PAD_SCORE = float(np.finfo(np.float32).min)  # what FAISS puts beside a missing (-1) id for IP search


class MilvusStoreError(RuntimeError):
    """The collection is missing, unreachable or does not hold what the index version says."""


@dataclass(frozen=True)
class IndexSpec:
    """The vector index of a collection and how it is searched (engine-independent of the URI)."""

    type: str = "FLAT"
    params: dict = field(default_factory=dict)
    search: dict = field(default_factory=dict)

    @classmethod
    def named(cls, index_type: str, uri: str) -> "IndexSpec":
        """`auto` = exact FLAT on milvus-lite (it has no HNSW), IVF_FLAT on a server.

        Not HNSW on a server: under a narrow filter (a topic, the ids whose cosines the ranker needs)
        Milvus 2.3's HNSW returns a fraction of what passes it (measured at 100k answers: 222 of 1,500
        asked ids, recall@10 with a topic 0.924), while IVF searched over every list with the filter
        applied first scores exactly the vectors the filter allows (1,500 of 1,500 in ~15 ms)."""
        if index_type == "auto":
            index_type = "FLAT" if is_lite_uri(uri) else "IVF_FLAT"
        if index_type == "HNSW":  # Milvus 2.3 wants M/efConstruction spelled out
            return cls("HNSW", {"M": 16, "efConstruction": 200}, {"ef": 128})
        if index_type == "IVF_FLAT":
            return cls("IVF_FLAT", {"nlist": 128}, {"nprobe": 16})
        return cls(index_type, {}, {})

    def search_params(self, k: int, *, filtered: bool = False) -> dict:
        """`filtered`: the search has a filter expression; an IVF index then visits every list (the
        filter is applied before any distance, so only the allowed vectors are scored: exact)."""
        params = dict(self.search)
        if "ef" in params:
            params["ef"] = max(params["ef"], k)  # HNSW needs ef >= k
        if filtered and "nlist" in self.params:
            params["nprobe"] = self.params["nlist"]
        return {"metric_type": "IP", "params": params}

    @property
    def scores_filtered_exactly(self) -> bool:
        """Whether a search filtered to some ids returns every one of them (FLAT, IVF: not HNSW)."""
        return self.type == "FLAT" or "nlist" in self.params


def is_lite_uri(uri: str) -> bool:
    """milvus-lite keeps a collection in a local file named *.db; anything else is a server."""
    return not uri.startswith(("http://", "https://", "tcp://", "grpc://")) and uri.endswith(".db")


def import_pymilvus():
    """pymilvus, imported so that the deployment's MILVUS_URI cannot break the import.

    pymilvus reads the MILVUS_URI variable itself when it is first imported (for a default connection
    we never use: every client here gets its URI explicitly) and raises on anything but
    `http[s]://...`, so `MILVUS_URI=./milvus.db`, a milvus-lite file as README "Backends" documents,
    failed before a build began. The variable is hidden from that import and put back at once.
    """
    uri = os.environ.pop("MILVUS_URI", None)
    try:
        import pymilvus
    finally:
        if uri is not None:
            os.environ["MILVUS_URI"] = uri
    return pymilvus


@dataclass
class StoreRows:
    """The rows of a store in column form; `vectors` may be None when only metadata is compared."""

    ids: np.ndarray
    vectors: np.ndarray | None
    topics: list[list[str]]
    answer_ids: list[str]
    question_ids: list[str]
    upvotes: list[int]

    def row_bytes(self, i: int) -> int:
        """What row `i` costs in a write request, rounded up: 4 bytes a float, the strings, and
        a little framing per field (protobuf length prefixes, the array's element headers)."""
        strings = [self.answer_ids[i], self.question_ids[i], *self.topics[i]]
        vector = 4 * (self.vectors.shape[1] if self.vectors is not None else 0)
        return vector + 16 + sum(len(text.encode("utf-8")) + 8 for text in strings) + 64

    def records(self, positions: Iterable[int]) -> list[dict]:
        return [{"id": int(self.ids[i]), "vector": self.vectors[i].tolist(), "topics": list(self.topics[i]),
                 "answer_id": self.answer_ids[i], "question_id": self.question_ids[i],
                 "upvotes": int(self.upvotes[i])} for i in positions]


class MilvusStore:
    """One Milvus collection behind the `VectorStore` interface."""

    def __init__(self, client, collection: str, dimension: int, spec: IndexSpec, *,
                 consistency: str = "Bounded", known_ids: Iterable[int] | None = None):
        self.client = client
        self.collection = collection
        self.dimension = dimension
        self.spec = spec
        self.consistency = consistency
        self.known_ids = None if known_ids is None else sorted_ids(known_ids)

    # --- creating and opening -------------------------------------------------------------

    @classmethod
    def create(cls, client, collection: str, dimension: int, spec: IndexSpec, *,
               consistency: str = "Bounded") -> "MilvusStore":
        """Create an empty, indexed and loaded collection (an existing one of that name is an error)."""
        pymilvus = import_pymilvus()
        DataType, MilvusClient = pymilvus.DataType, pymilvus.MilvusClient

        if client.has_collection(collection):
            raise MilvusStoreError(f"collection {collection} already exists")
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        schema.add_field("topics", DataType.ARRAY, element_type=DataType.VARCHAR,
                         max_capacity=TOPICS_CAPACITY, max_length=TEXT_FIELD_LENGTH)
        schema.add_field("answer_id", DataType.VARCHAR, max_length=TEXT_FIELD_LENGTH)
        schema.add_field("question_id", DataType.VARCHAR, max_length=TEXT_FIELD_LENGTH)
        schema.add_field("upvotes", DataType.INT64)
        index_params = client.prepare_index_params()
        index_params.add_index(field_name="vector", index_type=spec.type, metric_type="IP", params=spec.params)
        client.create_collection(collection, schema=schema, index_params=index_params,
                                 consistency_level=consistency)
        return cls(client, collection, dimension, spec, consistency=consistency)

    def describe_file(self) -> dict:
        """What an index version records about this store: no URI, no token (they belong to the deployment)."""
        return {"backend": "milvus", "collection": self.collection, "dimension": self.dimension,
                "metric": "IP", "index": asdict(self.spec)}

    def save(self, directory: Path, name: str) -> list[str]:
        """Record the collection in the version directory; the vectors themselves stay in Milvus."""
        self.client.flush(self.collection)
        filename = f"{name}.milvus.json"
        (directory / filename).write_text(json.dumps(self.describe_file(), indent=2, sort_keys=True), encoding="utf-8")
        return [filename]

    @classmethod
    def load(cls, client, directory: Path, name: str, *, consistency: str = "Bounded",
             known_ids: Iterable[int] | None = None) -> "MilvusStore":
        described = json.loads((directory / f"{name}.milvus.json").read_text(encoding="utf-8"))
        collection = described["collection"]
        if not client.has_collection(collection):
            raise MilvusStoreError(f"collection {collection} named in {directory / (name + '.milvus.json')} "
                                   f"is not in this Milvus; rebuild the index or point MILVUS_URI at its engine")
        client.load_collection(collection)
        return cls(client, collection, int(described["dimension"]), IndexSpec(**described["index"]),
                   consistency=consistency, known_ids=known_ids)

    def drop(self) -> None:
        self.client.drop_collection(self.collection)

    # --- the VectorStore interface --------------------------------------------------------

    def __len__(self) -> int:
        return len(self.known_ids) if self.known_ids is not None else self.entity_count()

    def entity_count(self, *, strong: bool = False) -> int:
        """Live rows in the collection (what /readyz reports), whatever version is serving."""
        return self._count(strong=strong)

    def add(self, ids: np.ndarray, vectors: np.ndarray, topics: Sequence[Sequence[str]], *,
            answer_ids: Sequence[str] | None = None, question_ids: Sequence[str] | None = None,
            upvotes: Sequence[int] | None = None) -> None:
        """Insert or replace vectors under the given ids (an upsert, as `FaissStore.add`)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension or len(ids) != len(vectors):
            raise ValueError(f"expected {len(ids)} vectors of dimension {self.dimension}, got {vectors.shape}")
        n = len(ids)
        self.write(StoreRows(ids, vectors, [list(t) for t in topics], list(answer_ids or [""] * n),
                             list(question_ids or [""] * n), [int(u) for u in (upvotes or [0] * n)]))

    def write(self, rows: StoreRows, positions: Sequence[int] | None = None, *, replace: bool = True) -> int:
        """Upsert (or, for a fresh collection, plainly insert) the rows at `positions` (all by default)."""
        positions = list(range(len(rows.ids))) if positions is None else list(positions)
        for i in positions:
            if len(rows.topics[i]) > TOPICS_CAPACITY:
                raise ValueError(f"vector {int(rows.ids[i])} has {len(rows.topics[i])} topics; "
                                 f"the collection holds at most {TOPICS_CAPACITY}")
        method = self.client.upsert if replace else self.client.insert
        for start, end in byte_batches([rows.row_bytes(i) for i in positions], WRITE_BATCH_BYTES):
            method(self.collection, rows.records(positions[start:end]))
        return len(positions)

    def remove(self, ids: Iterable[int]) -> int:
        ids = sorted({int(i) for i in ids})
        present = 0
        for start in range(0, len(ids), DELETE_BATCH):
            batch = ids[start:start + DELETE_BATCH]
            present += self._count(id_filter(batch), strong=True)
            self.client.delete(self.collection, ids=batch)  # deleting an absent id is a no-op
        return present

    def search(self, queries: np.ndarray, k: int, topics: Sequence[str] | None = None, *,
               ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """As `FaissStore.search`: `topics` and `ids` become the engine's filter expression."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, max(len(self), 1), MILVUS_MAX_TOPK))
        expression = " and ".join(f"({e})" for e in (topic_filter(topics), id_filter(ids) if ids is not None else "") if e)
        hits = self._search(queries, k, expression, k)
        if self.known_ids is not None and any(len(found) < k and raw == k for found, raw in hits):
            # A newer build added ids this version does not know: look further, once.
            hits = self._search(queries, k, expression, min(MILVUS_MAX_TOPK, 4 * k + 64))
        scores = np.full((len(queries), k), PAD_SCORE, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        for row, (found, _) in enumerate(hits):
            for col, (vid, score) in enumerate(found[:k]):
                ids[row, col], scores[row, col] = vid, score
        return scores, ids

    def _search(self, queries: np.ndarray, k: int, expression: str, limit: int
                ) -> list[tuple[list[tuple[int, float]], int]]:
        """Per query: the (id, score) hits this store may return, best first, and the raw hit count."""
        results = self.client.search(self.collection, data=queries.tolist(), limit=limit,
                                     filter=expression, output_fields=[],
                                     search_params=self.spec.search_params(limit, filtered=bool(expression)),
                                     consistency_level=self.consistency)
        out = []
        for hits in results:
            found = [(int(h["id"]), float(h["distance"])) for h in hits]
            raw = len(found)
            if self.known_ids is not None and found:
                known = contains(self.known_ids, np.array([hit[0] for hit in found], dtype=np.int64))
                found = [hit for hit, keep in zip(found, known.tolist()) if keep]
            # Equal scores come back in engine order; sort like FAISS does (score, then id) for stable ties.
            found.sort(key=lambda hit: (-hit[1], hit[0]))
            out.append((found, raw))
        return out

    def cosines(self, query: np.ndarray, ids: Sequence[int]) -> np.ndarray:
        """As `FaissStore.cosines`, computed by the engine: one search limited to these ids returns
        their scores, so no vector crosses the wire (fetching ~2,000 vectors as lists of floats cost
        ~200 ms a query). An id the search leaves out is fetched and scored here (every id, with an
        index that does not score a filter exactly: HNSW); an id not stored scores 0, as its zero
        vector would."""
        ids = np.asarray(ids, dtype=np.int64)
        unique, back = np.unique(ids, return_inverse=True)
        scored: dict[int, float] = {}
        query = np.asarray(query, dtype=np.float32)
        if self.spec.scores_filtered_exactly:
            for start in range(0, len(unique), MILVUS_MAX_TOPK):
                batch = unique[start:start + MILVUS_MAX_TOPK]
                for found, _ in self._search(query[None, :], len(batch), id_filter(batch), len(batch)):
                    scored.update(found)
        missing = [i for i in unique.tolist() if i not in scored]
        if missing:
            scored.update(zip(missing, (self.get_vectors(missing) @ query).tolist()))
        return np.array([scored[i] for i in unique.tolist()], dtype=np.float32)[back]

    def get_vectors(self, ids: Sequence[int]) -> np.ndarray:
        """Stored vectors in the order asked; an id deleted by a newer build reads as a zero vector."""
        found = self._fetch([int(i) for i in ids], ["vector"])
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        for row, vid in enumerate(ids):
            if int(vid) in found:
                out[row] = found[int(vid)]["vector"]
        return out

    # --- helpers ----------------------------------------------------------------------------

    def _fetch(self, ids: list[int], fields: list[str]) -> dict[int, dict]:
        rows: dict[int, dict] = {}
        for start in range(0, len(ids), READ_BATCH):
            rows.update((int(row["id"]), row) for row in self._query(id_filter(ids[start:start + READ_BATCH]), fields))
        return rows

    def _query(self, expression: str, fields: list[str]) -> list[dict]:
        try:
            return self.client.query(self.collection, filter=expression, output_fields=["id", *fields],
                                     consistency_level=self.consistency)
        except Exception:
            # milvus-lite 2.5 cannot decode an EMPTY query result from a collection with an ARRAY
            # field; a count tells that case apart from a real failure.
            if self._count(expression, strong=True) == 0:
                return []
            raise

    def _count(self, expression: str = "", *, strong: bool = False) -> int:
        """Rows matching `expression`; `strong` waits for every write so far (the builder's checks)."""
        rows = self.client.query(self.collection, filter=expression, output_fields=["count(*)"],
                                 consistency_level="Strong" if strong else self.consistency)
        return int(rows[0]["count(*)"]) if rows else 0

    def all_ids(self) -> set[int]:
        """Every id in the collection (a full scan: used only to repair a collection after a crash)."""
        expected = self._count(strong=True)
        iterator = self.client.query_iterator(self.collection, batch_size=READ_BATCH, filter="id >= 0",
                                              output_fields=["id"], consistency_level="Strong")
        ids: set[int] = set()
        try:
            while len(ids) < expected:  # never ask for the empty last batch (see `_query`)
                batch = iterator.next()
                if not batch:
                    break
                ids.update(int(row["id"]) for row in batch)
        finally:
            iterator.close()
        return ids


def byte_batches(sizes: Sequence[int], limit: int) -> list[tuple[int, int]]:
    """Consecutive (start, end) spans of `sizes` whose sum stays within `limit`; a single item
    larger than the limit goes alone (Milvus then says why it refuses it)."""
    spans, start, used = [], 0, 0
    for position, size in enumerate(sizes):
        if position > start and used + size > limit:
            spans.append((start, position))
            start, used = position, 0
        used += size
    if start < len(sizes):
        spans.append((start, len(sizes)))
    return spans


def sorted_ids(ids: Iterable[int]) -> np.ndarray:
    """`ids` as a sorted array without repeats (kept as given when it already is one: a mapped table)."""
    array = ids if isinstance(ids, np.ndarray) else np.fromiter((int(i) for i in ids), dtype=np.int64)
    if array.dtype == np.int64 and (len(array) < 2 or bool(np.all(array[1:] > array[:-1]))):
        return array
    return np.unique(array.astype(np.int64))


def contains(sorted_array: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Whether each of `values` is in `sorted_array` (one `searchsorted`)."""
    if not len(sorted_array):
        return np.zeros(len(values), dtype=bool)
    where = np.minimum(np.searchsorted(sorted_array, values), len(sorted_array) - 1)
    return np.asarray(sorted_array)[where] == values


def id_filter(ids: Sequence[int]) -> str:
    return f"id in [{', '.join(str(int(i)) for i in ids)}]"


def topic_filter(topics: Sequence[str] | None) -> str:
    """A Milvus boolean expression keeping rows that have any of `topics` (empty = no filter)."""
    if not topics:
        return ""
    return f"array_contains_any(topics, {json.dumps(sorted(set(topics)), ensure_ascii=False)})"
