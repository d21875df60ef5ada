"""Which engine holds the vectors (FAISS files or Milvus collections), chosen by configuration.

The builder and the loader go through this module and nothing else knows the difference: the
ranker sees the `VectorStore` interface, the API sees a `LoadedIndex`. Metadata (answers,
passages, manifest) always stays in the index version directory.

Four stores per version: `passages`, `questions` (title + body as one text) and the questions'
title and body apart (`question_title`, `question_body`), so every dense source of the ranker is a
nearest-neighbour search in its own store.

- faiss: each version holds its own `<name>.faiss` files; every build writes whole new stores.
- milvus: each version holds `<name>.milvus.json` naming a collection. A full build creates new
  collections (named after the version, so the switch of `current` stays atomic); an incremental
  build with the same model updates the current collections in place (upserts the rows whose
  text, topics or fields changed, deletes the rows that are gone), because a Milvus collection is
  shared by every replica and may be far too large to copy. Collections no kept version names
  any more are dropped when versions are pruned.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from index.layout import list_versions, prune_versions
from index.milvus_store import IndexSpec, MilvusStore, MilvusStoreError, StoreRows, import_pymilvus, is_lite_uri
from index.store import FaissStore, VectorStore

if TYPE_CHECKING:
    from index.corpus import Answer
    from index.loader import LoadedIndex, Question
    from index.passages import Passage

STORE_NAMES = ("passages", "questions", "question_title", "question_body")
QUESTION_VIEW_STORES = {"title": "question_title", "body": "question_body"}  # view (QUESTION_VIEWS) -> store


@dataclass(frozen=True)
class VectorBackend:
    """The deployment's choice of engine; URI and token never go into an index version."""

    kind: str = "faiss"
    milvus_uri: str = "./milvus.db"
    milvus_token: str = ""
    collection_prefix: str = "counsel"
    index_type: str = "auto"
    consistency: str = "Bounded"

    @property
    def index_spec(self) -> IndexSpec:
        return IndexSpec.named(self.index_type, self.milvus_uri)


_clients: dict[tuple[str, str], object] = {}
_clients_lock = threading.Lock()


def milvus_client(config: VectorBackend):
    """One `MilvusClient` per URI and token in this process (thread-safe; milvus-lite allows one per file)."""
    uri = str(Path(config.milvus_uri).resolve()) if is_lite_uri(config.milvus_uri) else config.milvus_uri
    key = (uri, config.milvus_token)
    with _clients_lock:
        if key not in _clients:
            try:
                MilvusClient = import_pymilvus().MilvusClient  # a milvus-lite MILVUS_URI would fail a plain import
            except ImportError as error:
                raise MilvusStoreError("VECTOR_BACKEND=milvus needs pymilvus: pip install 'counsel-search[milvus]'") from error
            try:
                _clients[key] = MilvusClient(uri=uri, token=config.milvus_token)
            except Exception as error:  # pymilvus raises its own exception types for an unreachable engine
                raise MilvusStoreError(f"cannot connect to Milvus at {_display(uri)}: {error}") from error
        return _clients[key]


def _display(uri: str) -> str:
    """The URI without any user:password part, for messages."""
    return re.sub(r"//[^/@]*@", "//", uri)


# --- rows: what a store holds for a corpus, built the same way for old and new versions ---------

def passage_rows(answers: Sequence["Answer"], passages: Sequence["Passage"], vectors: np.ndarray | None = None
                 ) -> tuple[StoreRows, list[str]]:
    """Rows of the passage store, and the text each row embeds."""
    by_id = {a.answer_id: a for a in answers}
    owners = [by_id[p.answer_id] for p in passages]
    rows = StoreRows(np.array([p.passage_id for p in passages], dtype=np.int64), vectors,
                     [list(a.topics) for a in owners], [a.answer_id for a in owners],
                     [a.question_id for a in owners], [int(a.upvotes) for a in owners])
    return rows, [p.text for p in passages]


def question_rows(answers: Sequence["Answer"], questions: Sequence["Question"], vectors: np.ndarray | None = None,
                  view: int | None = None) -> tuple[StoreRows, list[str]]:
    """Rows of a question store (upvotes: the best answer's), and the text each row embeds: title + body,
    or with `view` that view's text (QUESTION_VIEWS: 0 title, 1 body)."""
    upvotes = {}
    for answer in answers:
        upvotes[answer.question_id] = max(upvotes.get(answer.question_id, 0), int(answer.upvotes))
    rows = StoreRows(np.array([q.vector_id for q in questions], dtype=np.int64), vectors,
                     [list(q.topics) for q in questions], [""] * len(questions),
                     [q.question_id for q in questions], [upvotes.get(q.question_id, 0) for q in questions])
    return rows, [q.embedding_text if view is None else q.view_texts()[view] for q in questions]


def store_rows(answers: Sequence["Answer"], passages: Sequence["Passage"], questions: Sequence["Question"],
               vectors: dict[str, np.ndarray] | None = None) -> dict[str, tuple[StoreRows, list[str]]]:
    """The rows of every store of a version (`vectors` by store name; None: metadata only, to compare)."""
    vectors = vectors or {}
    rows = {"passages": passage_rows(answers, passages, vectors.get("passages")),
            "questions": question_rows(answers, questions, vectors.get("questions"))}
    for position, name in enumerate(QUESTION_VIEW_STORES.values()):
        rows[name] = question_rows(answers, questions, vectors.get(name), view=position)
    return rows


def has_store(directory: Path, name: str) -> bool:
    """Whether the version in `directory` has the store `name` (in either engine)."""
    return (directory / f"{name}.faiss").is_file() or (directory / f"{name}.milvus.json").is_file()


# --- building ---------------------------------------------------------------------------------

def write_stores(directory: Path, version: str, answers: Sequence["Answer"], passages: Sequence["Passage"],
                 questions: Sequence["Question"], vectors: dict[str, np.ndarray], dimension: int, *,
                 vector_backend: VectorBackend, previous: "LoadedIndex | None" = None) -> tuple[list[str], dict]:
    """Write every store of a version (`vectors` by store name, STORE_NAMES); return the files
    written and a summary for the manifest.

    `previous` is the current version when its vectors may be reused (incremental build, same
    model); Milvus then updates its collections in place instead of creating new ones.
    """
    new_rows = store_rows(answers, passages, questions, vectors)
    if vector_backend.kind == "faiss":
        files: list[str] = []
        for name, (rows, _) in new_rows.items():
            store = FaissStore(dimension)
            store.add(rows.ids, rows.vectors, rows.topics)
            files += store.save(directory, name)
        return files, {"backend": "faiss"}
    if vector_backend.kind != "milvus":
        raise ValueError(f"unknown vector backend {vector_backend.kind!r}; use faiss or milvus")

    client = milvus_client(vector_backend)
    old_rows = store_rows(list(previous.answers), list(previous.passages), list(previous.questions)) if previous else {}
    old_stores = {"passages": previous.passage_store, "questions": previous.question_store,
                  **{QUESTION_VIEW_STORES[v]: s for v, s in (previous.view_stores or {}).items()}} if previous else {}
    files, summary, created = [], {"backend": "milvus", "collections": {}}, []
    try:
        for name, (rows, texts) in new_rows.items():
            old_store = old_stores.get(name)
            if _reusable(old_store, client, vector_backend, dimension):
                store = MilvusStore(client, old_store.collection, dimension, old_store.spec,
                                    consistency=vector_backend.consistency)
                upserted, deleted = sync_in_place(store, rows, texts, *old_rows[name])
                summary["collections"][name] = {"collection": store.collection, "mode": "in-place",
                                                "upserted": upserted, "deleted": deleted}
            else:
                store = MilvusStore.create(client, collection_name(vector_backend.collection_prefix, version, name),
                                           dimension, vector_backend.index_spec, consistency=vector_backend.consistency)
                created.append(store)
                store.write(rows, replace=False)
                summary["collections"][name] = {"collection": store.collection, "mode": "new",
                                                "upserted": len(rows.ids), "deleted": 0}
            files += store.save(directory, name)
    except BaseException:
        for store in created:  # a failed build leaves no collection behind
            _drop_quietly(client, store.collection)
        raise
    return files, summary


def _reusable(store: VectorStore | None, client, vector_backend: VectorBackend, dimension: int) -> bool:
    return (isinstance(store, MilvusStore) and store.client is client and store.dimension == dimension
            and store.spec == vector_backend.index_spec
            and store.collection.startswith(vector_backend.collection_prefix + "_"))


def sync_in_place(store: MilvusStore, rows: StoreRows, texts: list[str], old: StoreRows, old_texts: list[str]
                  ) -> tuple[int, int]:
    """Make the collection hold exactly `rows`, touching only what changed; return (upserted, deleted).

    A row changed when its text (hence its vector), topics, answer, question or upvotes did.
    Afterwards the collection is counted; if a crashed earlier build left it different from the
    previous version, it is repaired by a full scan of its ids.
    """
    before = {int(old.ids[i]): _signature(old, old_texts, i) for i in range(len(old.ids))}
    changed = [i for i in range(len(rows.ids)) if before.get(int(rows.ids[i])) != _signature(rows, texts, i)]
    wanted = {int(i) for i in rows.ids}
    deleted = store.remove(sorted(set(before) - wanted))
    upserted = store.write(rows, changed)
    store.client.flush(store.collection)
    if store.entity_count(strong=True) != len(wanted):
        present = store.all_ids()
        deleted += store.remove(sorted(present - wanted))
        missing = [i for i in range(len(rows.ids)) if int(rows.ids[i]) not in present]
        upserted += store.write(rows, missing)
        store.client.flush(store.collection)
    return upserted, deleted


def _signature(rows: StoreRows, texts: list[str], i: int) -> tuple:
    return (texts[i], tuple(rows.topics[i]), rows.answer_ids[i], rows.question_ids[i], int(rows.upvotes[i]))


def collection_name(prefix: str, version: str, name: str) -> str:
    """`<prefix>_<version>_<store>`, with the characters Milvus does not allow replaced by `_`."""
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{prefix}_{version}_{name}")


def prune_versions_and_collections(index_dir: Path, keep: int, vector_backend: VectorBackend) -> list[Path]:
    """Prune old versions, then drop the Milvus collections that only pruned versions named."""
    before = referenced_collections(list_versions(index_dir))
    removed = prune_versions(index_dir, keep)
    stale = before - referenced_collections(list_versions(index_dir))
    if stale:
        client = milvus_client(vector_backend)
        for collection in sorted(stale):
            _drop_quietly(client, collection)
    return removed


def referenced_collections(versions: Iterable[Path]) -> set[str]:
    import json

    names = set()
    for version in versions:
        for path in version.glob("*.milvus.json"):
            try:
                names.add(json.loads(path.read_text(encoding="utf-8"))["collection"])
            except (OSError, ValueError, KeyError):
                continue
    return names


def _drop_quietly(client, collection: str) -> None:
    try:
        if client.has_collection(collection):
            client.drop_collection(collection)
    except Exception:  # cleaning up must not hide the error that made us clean up
        pass


# --- loading and reporting --------------------------------------------------------------------

def open_store(directory: Path, name: str, *, known_ids: Iterable[int] | None = None,
               vector_backend: VectorBackend | None = None) -> VectorStore:
    """The store `name` of a version directory, in whichever engine that version was built."""
    if (directory / f"{name}.milvus.json").is_file():
        if vector_backend is None or vector_backend.kind != "milvus":
            raise MilvusStoreError(f"{directory} keeps its {name} vectors in Milvus: set VECTOR_BACKEND=milvus and "
                                   "MILVUS_URI to the engine that holds them")
        client = milvus_client(vector_backend)
        try:
            return MilvusStore.load(client, directory, name, consistency=vector_backend.consistency, known_ids=known_ids)
        except MilvusStoreError:
            raise
        except (KeyError, TypeError) as error:
            raise MilvusStoreError(f"{directory / (name + '.milvus.json')} is not a valid store record ({error})") from error
        except Exception as error:  # pymilvus errors: unreachable engine, refused token...
            raise MilvusStoreError(f"Milvus at {_display(vector_backend.milvus_uri)}: {error}") from error
    return FaissStore.load(directory, name)


def store_state(store: VectorStore) -> dict:
    """What /readyz reports about a store: its engine and how many vectors it holds now."""
    if isinstance(store, MilvusStore):
        return {"backend": "milvus", "collection": store.collection, "entities": store.entity_count(),
                "serving": len(store)}
    return {"backend": "faiss", "collection": None, "entities": len(store), "serving": len(store)}
