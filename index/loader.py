"""Opening a built index version, checked against its manifest, without loading its records.

A version written by this code keeps its records in SQLite (catalog.sqlite, index/catalog.py), the
small arrays ranking reads as mapped `.npy` files (tables/, index/tables.py), BM25 as mapped
postings (index/bm25.py) and its vectors in four stores (passages, questions as title + body, and
each question's title and body apart), FAISS files mapped read-only or Milvus collections. Opening
it reads nothing per answer: a worker's memory does not grow with the corpus beyond the vectors it
searches, and the records of its top results are read when they are returned.

A version written before the catalog (answers.jsonl, passages.jsonl, question_views.npy) is still
read, the old way: into memory, with the same tables computed from its records.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from index.backends import QUESTION_VIEW_STORES, VectorBackend, has_store, open_store
from index.bm25 import Postings, build_postings, open_postings
from index.catalog import CATALOG_FILE, Catalog, CatalogError, MemoryCatalog, SqliteCatalog
from index.corpus import Answer
from index.layout import IndexFormatError, Manifest, current_version_dir
from index.passages import Passage
from index.questions import QUESTION_VIEWS, Question, question_text_for_embedding, questions_of
from index.store import FaissStore, VectorStore
from index.tables import RankingTables, TablesError, compute_tables

__all__ = ["LoadedIndex", "Question", "QUESTION_VIEWS", "load_index", "question_text_for_embedding",
           "questions_of", "text_hash", "vectors_by_text"]

# Files of a version written before the catalog (read, never written any more).
ANSWERS_FILE = "answers.jsonl"
PASSAGES_FILE = "passages.jsonl"
QUESTION_VIEWS_FILE = "question_views.npy"  # (2, questions, dimension): title, body


class Records(Sequence):
    """The records of one kind, read from the catalog by position when asked for (a slice or an
    iteration reads in batches): an index reads only the records it returns."""

    def __init__(self, count: int, read: Callable[[Sequence[int]], list], batch: int = 1000):
        self._count, self._read, self._batch = count, read, batch

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, item):
        if isinstance(item, slice):
            return self._read(range(*item.indices(self._count)))
        position = item + self._count if item < 0 else item
        if not 0 <= position < self._count:
            raise IndexError(item)
        return self._read([position])[0]

    def __iter__(self) -> Iterator:
        for start in range(0, self._count, self._batch):
            yield from self._read(range(start, min(self._count, start + self._batch)))

    def at(self, positions: Sequence[int]) -> list:
        return self._read(positions)


class Keyed(Mapping):
    """Records by key, read from the catalog one lookup at a time (iterating reads every key)."""

    def __init__(self, find: Callable[[object], object | None], keys: Callable[[], Iterator]):
        self._find, self._keys = find, keys

    def __getitem__(self, key):
        found = self._find(key)
        if found is None:
            raise KeyError(key)
        return found

    def get(self, key, default=None):
        found = self._find(key)
        return default if found is None else found

    def __contains__(self, key) -> bool:
        return self._find(key) is not None

    def __iter__(self) -> Iterator:
        return self._keys()

    def __len__(self) -> int:
        return sum(1 for _ in self._keys())


class LoadedIndex:
    """Everything a query needs: the manifest, the records (catalog), the ranking tables, BM25 postings
    and the vector stores. Built from records held in memory (`LoadedIndex(path, manifest, answers,
    questions, passages, question_store, passage_store, question_views)`: tests and old versions) or
    opened from a version on disk (`load_index`)."""

    def __init__(self, path: Path, manifest: Manifest, answers: Sequence[Answer], questions: Sequence[Question],
                 passages: Sequence[Passage], question_store: VectorStore, passage_store: VectorStore,
                 question_views: np.ndarray | None = None):
        views = None
        if question_views is not None:
            views = {}
            for view, vectors in zip(QUESTION_VIEWS, question_views):
                store = FaissStore(manifest.dimension)
                store.add(np.array([q.vector_id for q in questions], dtype=np.int64), vectors,
                          [q.topics for q in questions])
                views[view] = store
        texts = {"questions": lambda: (q.embedding_text for q in questions), "answers": lambda: (a.answer for a in answers)}
        self._setup(path, manifest, MemoryCatalog(answers, questions, passages), compute_tables(answers, questions, passages),
                    question_store, passage_store, views, postings=None, texts=texts)

    @classmethod
    def opened(cls, path: Path, manifest: Manifest, catalog: Catalog, tables: RankingTables,
               question_store: VectorStore, passage_store: VectorStore, view_stores: dict[str, VectorStore] | None,
               postings: dict[str, Postings]) -> "LoadedIndex":
        index = cls.__new__(cls)
        index._setup(path, manifest, catalog, tables, question_store, passage_store, view_stores, postings, texts=None)
        return index

    def _setup(self, path, manifest, catalog, tables, question_store, passage_store, view_stores, postings, texts) -> None:
        self.path = path
        self.manifest = manifest
        self.catalog = catalog
        self.tables = tables
        self.question_store = question_store
        self.passage_store = passage_store
        self.view_stores = view_stores  # {"title": store, "body": store}, or None (an index without views)
        self._postings = dict(postings or {})
        self._texts = texts
        self._postings_lock = threading.Lock()
        self.answers = Records(tables.answers, catalog.answers_at)
        self.questions = Records(tables.questions, catalog.questions_at)
        self.passages = Records(tables.passages, catalog.passages_at)
        self.answer_by_id = Keyed(lambda i: _first(catalog.answers_at, catalog.answer_position(i)),
                                  lambda: (a.answer_id for a in self.answers))
        self.question_by_id = Keyed(lambda i: _first(catalog.questions_at, catalog.question_position(i)),
                                    lambda: (q.question_id for q in self.questions))
        self.passage_by_vector = Keyed(lambda i: catalog.passages_by_id([i])[0],
                                       lambda: (p.passage_id for p in self.passages))
        self.passages_by_answer = Keyed(lambda i: catalog.passages_of(i) or None,
                                        lambda: (a.answer_id for a in self.answers))

    @property
    def topics(self) -> dict[str, int]:
        """Topic -> number of answers, most common first."""
        return self.tables.topics

    def postings(self, lexicon: str) -> Postings:
        """BM25 postings of `lexicon` ("questions": title + body, "answers": answer texts)."""
        found = self._postings.get(lexicon)
        if found is None:
            with self._postings_lock:  # an in-memory index tokenises on first use, once
                found = self._postings.get(lexicon)
                if found is None:
                    found = self._postings[lexicon] = build_postings(self._texts[lexicon]())
        return found

    @property
    def question_views(self) -> np.ndarray | None:
        """Every question's title and body vectors, (2, questions, dimension), or None without views.

        Reads every vector (in proportion to the corpus): for offline tools, never the query path."""
        if self.view_stores is None:
            return None
        ids = np.asarray(self.tables.question_vector_id)
        return np.stack([np.asarray(self.view_stores[view].get_vectors(ids), dtype=np.float32)
                         for view in QUESTION_VIEWS])


def _first(read: Callable[[Sequence[int]], list], position: int | None):
    return None if position is None else read([position])[0]


def load_index(index_dir: str | Path, *, expected_model: str | None = None, verify: bool = True,
               vector_backend: "VectorBackend | None" = None) -> LoadedIndex:
    """Open the current version of `index_dir` (or `index_dir` itself when it is one version).

    Raises `IndexFormatError` with a clear message when the index is missing, damaged, incomplete,
    of another format, or built with another model than `expected_model`. `vector_backend` says how to
    reach Milvus for versions kept there (the deployment's, passed by the entry point); FAISS versions need nothing.
    """
    directory = current_version_dir(Path(index_dir))
    manifest = Manifest.read(directory)
    if expected_model is not None and manifest.model != expected_model:
        raise IndexFormatError(f"{directory} was built with model {manifest.model!r}, but {expected_model!r} "
                               f"is configured; rebuild the index or configure the same model")
    if verify:
        manifest.verify_files(directory)
    try:
        index = (_open_version(directory, manifest, vector_backend) if CATALOG_FILE in manifest.files
                 else _read_old_version(directory, manifest, vector_backend))
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        if isinstance(error, IndexFormatError):
            raise
        raise IndexFormatError(f"{directory}: cannot read index files ({error})") from error
    _check_counts(directory, index)
    return index


def _open_version(directory: Path, manifest: Manifest, vector_backend: VectorBackend | None) -> LoadedIndex:
    try:
        catalog = SqliteCatalog(directory / CATALOG_FILE)
        tables = RankingTables.open(directory)
    except (CatalogError, TablesError) as error:
        raise IndexFormatError(str(error)) from error
    # Milvus collections are shared and updated in place: a version serves only the ids it knows.
    question_ids = tables.question_lookup_ids
    question_store = open_store(directory, "questions", known_ids=question_ids, vector_backend=vector_backend)
    passage_store = open_store(directory, "passages", known_ids=tables.passage_lookup_ids, vector_backend=vector_backend)
    views = None
    if all(has_store(directory, name) for name in QUESTION_VIEW_STORES.values()):
        views = {view: open_store(directory, name, known_ids=question_ids, vector_backend=vector_backend)
                 for view, name in QUESTION_VIEW_STORES.items()}
    postings = {name: open_postings(directory, name, CatalogVocabulary(catalog, name), size)
                for name, size in (("questions", tables.questions), ("answers", tables.answers))}
    return LoadedIndex.opened(directory, manifest, catalog, tables, question_store, passage_store, views, postings)


class CatalogVocabulary:
    """A lexicon's words -> token ids, looked up in the catalog (none held in memory)."""

    def __init__(self, catalog: SqliteCatalog, name: str):
        self.catalog, self.name = catalog, name

    def lookup(self, words: Sequence[str]) -> list[int | None]:
        return self.catalog.lookup(self.name, words)


def _read_old_version(directory: Path, manifest: Manifest, vector_backend: VectorBackend | None) -> LoadedIndex:
    """A version written before the catalog: records from JSON Lines, held in memory."""
    answers = [Answer.from_dict(row) for row in _read_jsonl(directory / ANSWERS_FILE)]
    passages = [Passage(**row) for row in _read_jsonl(directory / PASSAGES_FILE)]
    questions = questions_of(answers)
    question_store = open_store(directory, "questions", known_ids=[q.vector_id for q in questions],
                                vector_backend=vector_backend)
    passage_store = open_store(directory, "passages", known_ids=[p.passage_id for p in passages],
                               vector_backend=vector_backend)
    return LoadedIndex(directory, manifest, answers, questions, passages, question_store, passage_store,
                       _read_question_views(directory, manifest, len(questions)))


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _check_counts(directory: Path, index: LoadedIndex) -> None:
    manifest, tables = index.manifest, index.tables
    for name, store in (("questions", index.question_store), ("passages", index.passage_store),
                        *((f"question {view}", store) for view, store in (index.view_stores or {}).items())):
        if store.dimension != manifest.dimension:
            raise IndexFormatError(f"{directory}: {name} store has dimension {store.dimension}, "
                                   f"manifest says {manifest.dimension}")
    if (tables.answers, tables.passages, len(index.passage_store)) != (manifest.answers, manifest.passages,
                                                                        manifest.passages):
        raise IndexFormatError(f"{directory}: counts disagree with the manifest; the index is incomplete")
    if (index.catalog.count("answers"), index.catalog.count("passages")) != (manifest.answers, manifest.passages):
        raise IndexFormatError(f"{directory}: the catalog's counts disagree with the manifest; the index is incomplete")
    for name, store in (("question", index.question_store), *((f"question {v}", s) for v, s in (index.view_stores or {}).items())):
        if len(store) != tables.questions:
            raise IndexFormatError(f"{directory}: {name} store holds {len(store)} vectors for "
                                   f"{tables.questions} questions")


def _read_question_views(directory: Path, manifest: Manifest, questions: int) -> np.ndarray | None:
    """The per-view question vectors of an old version that has them (None for an older one)."""
    if QUESTION_VIEWS_FILE not in manifest.files:
        return None
    try:
        views = np.load(directory / QUESTION_VIEWS_FILE, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise IndexFormatError(f"{directory}: cannot read {QUESTION_VIEWS_FILE} ({error})") from error
    if views.shape != (len(QUESTION_VIEWS), questions, manifest.dimension):
        raise IndexFormatError(f"{directory}: {QUESTION_VIEWS_FILE} has shape {views.shape}, expected "
                               f"{(len(QUESTION_VIEWS), questions, manifest.dimension)}")
    return views.astype(np.float32, copy=False)


def text_hash(text: str) -> str:
    """The key a vector is kept under for reuse by a later build: the SHA-1 of the exact text embedded."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def vectors_by_text(index: LoadedIndex) -> dict[str, np.ndarray]:
    """Every stored vector keyed by a hash of the text it embeds, for reuse by a later build."""
    cache: dict[str, np.ndarray] = {}
    passages, questions = list(index.passages), list(index.questions)
    if passages:
        vectors = index.passage_store.get_vectors([p.passage_id for p in passages])
        cache.update((text_hash(p.text), v) for p, v in zip(passages, vectors))
    if questions:
        ids = [q.vector_id for q in questions]
        vectors = index.question_store.get_vectors(ids)
        cache.update((text_hash(q.embedding_text), v) for q, v in zip(questions, vectors))
        for view, store in (index.view_stores or {}).items():
            position = QUESTION_VIEWS.index(view)
            cache.update((text_hash(q.view_texts()[position]), v) for q, v in zip(questions, store.get_vectors(ids)))
    return cache
