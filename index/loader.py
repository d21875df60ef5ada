"""Loading a built index version into memory, checked against its manifest."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from index.backends import VectorBackend, open_store
from index.corpus import Answer
from index.layout import IndexFormatError, Manifest, current_version_dir
from index.passages import Passage, vector_id
from index.store import VectorStore

ANSWERS_FILE = "answers.jsonl"
PASSAGES_FILE = "passages.jsonl"
QUESTIONS_FILE = "questions.jsonl"
# Each question's title and body embedded apart, shape (2, questions, dimension), in `questions_of` order.
# Optional: an index built before it existed loads without it (the ranker then matches title + body only).
QUESTION_VIEWS_FILE = "question_views.npy"
QUESTION_VIEWS = ("title", "body")


def question_text_for_embedding(title: str, text: str) -> str:
    """What a question is embedded as: its title, then its body."""
    return " ".join(f"{title} {text}".split())


@dataclass
class Question:
    question_id: str
    vector_id: int
    title: str
    text: str
    url: str
    topics: list[str]
    answer_ids: list[str] = field(default_factory=list)

    @property
    def embedding_text(self) -> str:
        return question_text_for_embedding(self.title, self.text)

    def view_texts(self) -> tuple[str, str]:
        """The texts of QUESTION_VIEWS: title and body apart (an empty body falls back to the title).

        A worry is short like a title; a long body dilutes a title+body vector. Matching each part
        apart lets the closer one count (retriever/ranking.py).
        """
        title = " ".join(self.title.split())
        return title, " ".join(self.text.split()) or title


@dataclass
class LoadedIndex:
    """Everything a query needs, in memory: metadata, passages and both vector stores."""

    path: Path
    manifest: Manifest
    answers: list[Answer]
    questions: list[Question]
    passages: list[Passage]
    question_store: VectorStore
    passage_store: VectorStore
    question_views: np.ndarray | None = None  # (len(QUESTION_VIEWS), questions, dimension) or None

    def __post_init__(self) -> None:
        self.answer_by_id = {a.answer_id: a for a in self.answers}
        self.question_by_id = {q.question_id: q for q in self.questions}
        self.question_by_vector = {q.vector_id: q for q in self.questions}
        self.passage_by_vector = {p.passage_id: p for p in self.passages}
        self.passages_by_answer: dict[str, list[Passage]] = {}
        for passage in self.passages:
            self.passages_by_answer.setdefault(passage.answer_id, []).append(passage)

    @cached_property
    def topics(self) -> dict[str, int]:
        """Topic -> number of answers, most common first."""
        counts: dict[str, int] = {}
        for answer in self.answers:
            for topic in answer.topics:
                counts[topic] = counts.get(topic, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def questions_of(answers: list[Answer]) -> list[Question]:
    """The distinct questions of a list of answers, in first-seen order, with merged topics."""
    questions: dict[str, Question] = {}
    for answer in answers:
        question = questions.get(answer.question_id)
        if question is None:
            question = questions[answer.question_id] = Question(
                answer.question_id, vector_id("q:" + answer.question_id), answer.question_title,
                answer.question_text, answer.question_url, [])
        question.answer_ids.append(answer.answer_id)
        question.topics.extend(t for t in answer.topics if t not in question.topics)
    return list(questions.values())


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_index(index_dir: str | Path, *, expected_model: str | None = None, verify: bool = True,
               vector_backend: "VectorBackend | None" = None) -> LoadedIndex:
    """Load the current version of `index_dir` (or `index_dir` itself when it is one version).

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
        answers = [Answer.from_dict(row) for row in read_jsonl(directory / ANSWERS_FILE)]
        passages = [Passage(**row) for row in read_jsonl(directory / PASSAGES_FILE)]
        questions = questions_of(answers)
        # Milvus collections are shared and updated in place: a version serves only the ids it knows.
        question_store = open_store(directory, "questions", known_ids=[q.vector_id for q in questions],
                                    vector_backend=vector_backend)
        passage_store = open_store(directory, "passages", known_ids=[p.passage_id for p in passages],
                                   vector_backend=vector_backend)
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        raise IndexFormatError(f"{directory}: cannot read index files ({error})") from error
    for name, store in (("questions", question_store), ("passages", passage_store)):
        if store.dimension != manifest.dimension:
            raise IndexFormatError(f"{directory}: {name} store has dimension {store.dimension}, "
                                   f"manifest says {manifest.dimension}")
    if len(answers) != manifest.answers or len(passages) != manifest.passages or len(passage_store) != len(passages):
        raise IndexFormatError(f"{directory}: counts disagree with the manifest; the index is incomplete")
    if len(question_store) != len(questions):
        raise IndexFormatError(f"{directory}: question store holds {len(question_store)} vectors for "
                               f"{len(questions)} questions")
    views = _read_question_views(directory, manifest, len(questions))
    return LoadedIndex(directory, manifest, answers, questions, passages, question_store, passage_store, views)


def _read_question_views(directory: Path, manifest: Manifest, questions: int) -> np.ndarray | None:
    """The per-view question vectors when the version has them (None for an older version)."""
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
    if index.passages:
        vectors = index.passage_store.get_vectors([p.passage_id for p in index.passages])
        cache.update((text_hash(p.text), v) for p, v in zip(index.passages, vectors))
    if index.questions:
        vectors = index.question_store.get_vectors([q.vector_id for q in index.questions])
        cache.update((text_hash(q.embedding_text), v) for q, v in zip(index.questions, vectors))
    if index.question_views is not None:
        for view, vectors in enumerate(index.question_views):
            cache.update((text_hash(q.view_texts()[view]), v) for q, v in zip(index.questions, vectors))
    return cache
