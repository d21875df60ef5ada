"""Building an index version from a corpus: split, embed, store, then switch `current` atomically.

Only one step can run elsewhere: embedding the texts the current version lacks, done by an
`EmbeddingEngine` (index/engines/: in this process by default, Ray Data when asked); everything
else (hashing, reuse, stores, manifest, switch, pruning, lock) is this module's, for every engine.

A version holds: the records in SQLite (index/catalog.py), the ranking tables (index/tables.py)
and BM25 postings (index/bm25.py) as mapped arrays, four vector stores (index/backends.py) and the
manifest naming every file with its sha256. `write_version` writes one from records and vectors
whatever made the vectors (benchmarks/bench_scale.py gives it synthetic ones).
"""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from index.backends import QUESTION_VIEW_STORES, VectorBackend, prune_versions_and_collections, write_stores
from index.bm25 import LEXICONS, build_postings, words_of, write_postings
from index.catalog import CATALOG_FILE, write_catalog
from index.corpus import Answer, Corpus
from index.embedding import Embedder
from index.engines import EmbeddingEngine, InProcessEngine, MissingTexts
from index.layout import (Manifest, build_lock, discard_shards, list_versions, new_version_name, sha256_of, shards_dir,
                          switch_current, versions_dir, IndexFormatError)
from index.loader import LoadedIndex, load_index, text_hash, vectors_by_text
from index.passages import Passage, split_answer
from index.questions import QUESTION_VIEWS, Question, questions_of
from index.safety_tags import DEFAULT_TAGGERS, AnswerTagger
from index.tables import compute_tables

@dataclass
class BuildReport:
    version: str
    path: str
    answers: int
    questions: int
    passages: int
    added: int
    updated: int
    removed: int
    unchanged: int
    embedded: int  # answer passages embedded by this build (distinct texts); the rest were reused
    reused: int  # passage and question vectors taken over instead of embedded
    seconds: float
    full_rebuild_reason: str | None = None
    embedded_questions: int = 0  # question texts (title + body) embedded: new or edited questions
    engine: dict = field(default_factory=dict)  # which engine embedded, its seconds and what it reports

    @property
    def answers_per_second(self) -> float:
        return self.answers / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict:
        return asdict(self) | {"answers_per_second": round(self.answers_per_second, 1)}


def build_index(corpus: Corpus, embedder: Embedder, index_dir: str | Path, *, model_name: str,
                passage_tokens: int = 128, keep_versions: int = 3, incremental: bool = False,
                taggers: tuple[AnswerTagger, ...] = DEFAULT_TAGGERS, progress: bool = False,
                vector_backend: VectorBackend | None = None, engine: EmbeddingEngine | None = None) -> BuildReport:
    """Write a new version of the index for `corpus` and make it current.

    With `incremental`, vectors of texts the current version already embedded with the same model
    and settings are reused, so only new or changed passages are embedded; on Milvus the current
    collections are then updated in place (index/backends.py). `vector_backend` says where vectors go
    (default: FAISS files in the version directory); the entry points pass the deployment's.
    `engine` embeds the texts the current version lacks (default: this process; index/engines/).
    """
    vector_backend = vector_backend or VectorBackend()
    engine = engine or InProcessEngine()
    started = time.perf_counter()
    index_dir = Path(index_dir)
    with build_lock(index_dir):
        previous, reason = _previous_for_reuse(index_dir, model_name, passage_tokens, embedder.dimension, vector_backend,
                                               embedding_backend=embedder.document_backend)
        # A reason means the old vectors do not fit (another model or backend, other passages): embed everything.
        cache = vectors_by_text(previous) if (incremental and previous is not None and reason is None) else {}
        if incremental and previous is None:
            reason = reason or "no current index"

        answers = corpus.answers
        for answer in answers:
            answer.flags = sorted({flag for tag in taggers for flag in tag(answer)})
        passages = [p for a in answers for p in split_answer(a.answer_id, a.answer, embedder.token_counts, passage_tokens)]
        questions = questions_of(answers)

        view_texts = [q.view_texts()[view] for view in range(len(QUESTION_VIEWS)) for q in questions]
        texts = [p.text for p in passages] + [q.embedding_text for q in questions] + view_texts
        vectors, fresh_keys, reused, engine_summary = _embed_with_cache(
            embedder, texts, cache, engine=engine, work_dir=shards_dir(index_dir), progress=progress)
        embedded = len(fresh_keys & {text_hash(p.text) for p in passages})
        embedded_questions = len(fresh_keys & {text_hash(q.embedding_text) for q in questions})
        question_end = len(passages) + len(questions)
        views = vectors[question_end:].reshape(len(QUESTION_VIEWS), len(questions), embedder.dimension)
        by_store = {"passages": vectors[: len(passages)], "questions": vectors[len(passages):question_end],
                    **{QUESTION_VIEW_STORES[view]: views[n] for n, view in enumerate(QUESTION_VIEWS)}}
        final = write_version(
            index_dir, answers, passages, questions, by_store, model_name=model_name, dimension=embedder.dimension,
            normalized=embedder.normalized, corpus_sha256=corpus.source_sha256, passage_tokens=passage_tokens,
            taggers=[getattr(t, "__name__", str(t)) for t in taggers], embedding_backend=embedder.document_backend,
            vector_backend=vector_backend, previous=previous if (incremental and reason is None) else None,
            started=started)
        switch_current(index_dir, final)
        discard_shards(index_dir)  # the new version holds every vector: the engine's kept work is spent
        prune_versions_and_collections(index_dir, keep_versions, vector_backend)

    added, updated, removed, unchanged = _diff(previous, answers)
    return BuildReport(final.name, str(final), len(answers), len(questions), len(passages), added, updated, removed,
                       unchanged, embedded, reused, round(time.perf_counter() - started, 3),
                       reason if incremental else None, embedded_questions=embedded_questions, engine=engine_summary)


def write_version(index_dir: Path, answers: list[Answer], passages: list[Passage], questions: list[Question],
                  vectors: dict[str, np.ndarray], *, model_name: str, dimension: int, normalized: bool,
                  corpus_sha256: str, passage_tokens: int, taggers: list[str], embedding_backend: str,
                  vector_backend: VectorBackend, previous: LoadedIndex | None = None,
                  started: float | None = None) -> Path:
    """Write a complete new version of `index_dir` (not yet current) and return its folder.

    `vectors` holds each store's vectors (index/backends.py STORE_NAMES), row for row with `passages`
    and `questions`. Everything is written into a staging folder, checksummed into the manifest and
    renamed into place, so a crash leaves no partial version; the caller switches `current`.
    """
    started = time.perf_counter() if started is None else started
    version = new_version_name()
    root = versions_dir(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".tmp-{version}"
    staging.mkdir()
    try:
        postings = {"questions": build_postings(q.embedding_text for q in questions),
                    "answers": build_postings(a.answer for a in answers)}
        write_catalog(staging / CATALOG_FILE, answers, questions, passages,
                      {name: words_of(postings[name]) for name in LEXICONS})
        files = [CATALOG_FILE, *compute_tables(answers, questions, passages).write(staging)]
        for name in LEXICONS:
            files += write_postings(staging, name, postings[name])
        del postings
        store_files, store_summary = write_stores(staging, version, answers, passages, questions, vectors, dimension,
                                                  vector_backend=vector_backend, previous=previous)
        files += store_files
        manifest = Manifest(
            version=version, model=model_name, dimension=dimension, normalized=normalized,
            corpus_sha256=corpus_sha256, answers=len(answers), questions=len(questions),
            passages=len(passages), passage_tokens=passage_tokens,
            built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            build_seconds=round(time.perf_counter() - started, 3),
            files={name: sha256_of(staging / name) for name in files},
            settings={"taggers": taggers, "vector_store": store_summary},
            embedding_backend=embedding_backend,
        )
        manifest.write(staging)
        final = root / version
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def _previous_for_reuse(index_dir: Path, model_name: str, passage_tokens: int, dimension: int,
                        vector_backend: VectorBackend | None = None, *, embedding_backend: str = "torch"
                        ) -> tuple[LoadedIndex | None, str | None]:
    """The current version, and why its vectors cannot be reused (None when they can)."""
    if not list_versions(index_dir) and not (index_dir / "current").exists():
        return None, "no current index"
    try:
        previous = load_index(index_dir, vector_backend=vector_backend)
    except IndexFormatError as error:
        return None, f"current index unreadable ({error})"
    manifest = previous.manifest
    if manifest.model != model_name or manifest.dimension != dimension:
        return previous, f"model changed ({manifest.model} -> {model_name}): full rebuild"
    if manifest.embedding_backend != embedding_backend:  # int8 and fp32 vectors are close, not equal: never mix
        return previous, f"embedding backend changed ({manifest.embedding_backend} -> {embedding_backend}): full rebuild"
    if manifest.passage_tokens != passage_tokens:
        return previous, f"passage size changed ({manifest.passage_tokens} -> {passage_tokens}): full rebuild"
    return previous, None


def _embed_with_cache(embedder: Embedder, texts: list[str], cache: dict[str, np.ndarray], *, engine: EmbeddingEngine,
                      work_dir: Path, progress: bool) -> tuple[np.ndarray, set[str], int, dict]:
    """Vectors for `texts`, `engine` embedding only those not in `cache` (the previous version's), each
    distinct text once; also the keys that were embedded, how many vectors were taken from `cache` (a
    text repeated within this build is embedded once but is not "reused": a fresh build reuses nothing)
    and the engine's summary (with the seconds the step took)."""
    keys = [text_hash(t) for t in texts]
    reused = sum(1 for k in keys if k in cache)
    missing = sorted({k: t for k, t in zip(keys, texts) if k not in cache}.items())
    started = time.perf_counter()
    summary = {"name": engine.name, "texts": len(missing)}
    if missing:
        embedded = engine.embed_missing(embedder, MissingTexts([k for k, _ in missing], [t for _, t in missing],
                                                               work_dir, progress=progress))
        cache = dict(cache) | {k: v for (k, _), v in zip(missing, embedded.vectors)}
        summary |= embedded.summary
    vectors = np.vstack([cache[k] for k in keys]) if keys else np.zeros((0, embedder.dimension), np.float32)
    return (vectors.astype(np.float32), {k for k, _ in missing}, reused,
            summary | {"seconds": round(time.perf_counter() - started, 3)})


def _diff(previous: LoadedIndex | None, answers: list[Answer]) -> tuple[int, int, int, int]:
    """(added, updated, removed, unchanged) answers relative to the previous version."""
    before = {a.answer_id: a.content_hash for a in previous.answers} if previous else {}  # reads every record once
    after = {a.answer_id: a.content_hash for a in answers}
    added = sum(1 for i in after if i not in before)
    removed = sum(1 for i in before if i not in after)
    updated = sum(1 for i, h in after.items() if i in before and before[i] != h)
    return added, updated, removed, len(after) - added - updated
