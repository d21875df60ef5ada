"""The records of an index version (answers, questions, passages, BM25 vocabularies) in SQLite.

Why: a worker needs the full text of an answer only for the few it returns, yet holding every
answer, question and passage as Python objects made each worker's memory grow with the corpus.
The build writes them into `catalog.sqlite` in the version directory; a worker opens it read-only
(`immutable`: a version never changes, so SQLite takes no locks) and reads the rows of its top
results by position or id. Every worker shares the file through the OS page cache; SQLite reads
with `pread`, so what a worker reads does not stay in its resident memory beyond SQLite's small
page cache per connection (one connection per thread). `MemoryCatalog` serves the same reads from
lists, for an index held in memory (tests, versions written before the catalog).

Positions: answers in corpus order, questions in first-seen order, passages grouped by answer.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Mapping, Protocol, Sequence

from index.corpus import Answer
from index.passages import Passage
from index.questions import Question

CATALOG_FILE = "catalog.sqlite"
CATALOG_FORMAT = 1  # SQLite's user_version of a catalog this code writes and reads
READ_BATCH = 500  # positions or ids per SELECT (well under SQLite's limit on bound values)

SCHEMA = """
CREATE TABLE answers (position INTEGER PRIMARY KEY, answer_id TEXT NOT NULL, question INTEGER NOT NULL,
                      record TEXT NOT NULL);
CREATE TABLE questions (position INTEGER PRIMARY KEY, question_id TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE passages (position INTEGER PRIMARY KEY, passage_id INTEGER NOT NULL, answer_id TEXT NOT NULL,
                       ordinal INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL);
CREATE TABLE lexicon (name TEXT NOT NULL, word TEXT NOT NULL, token INTEGER NOT NULL,
                      PRIMARY KEY (name, word)) WITHOUT ROWID;
"""
INDEXES = """
CREATE UNIQUE INDEX answers_by_id ON answers (answer_id);
CREATE UNIQUE INDEX questions_by_id ON questions (question_id);
CREATE UNIQUE INDEX passages_by_id ON passages (passage_id);
CREATE INDEX passages_by_answer ON passages (answer_id, ordinal);
"""


class CatalogError(RuntimeError):
    """The catalog of a version cannot be read (missing, damaged, or not a catalog)."""


class Catalog(Protocol):
    """What the index reads of its records; positions are those of `RankingTables` (index/tables.py)."""

    def count(self, table: str) -> int: ...
    def answers_at(self, positions: Sequence[int]) -> list[Answer]: ...
    def answer_position(self, answer_id: str) -> int | None: ...
    def questions_at(self, positions: Sequence[int]) -> list[Question]: ...
    def question_position(self, question_id: str) -> int | None: ...
    def passages_at(self, positions: Sequence[int]) -> list[Passage]: ...
    def passages_by_id(self, ids: Sequence[int]) -> list[Passage | None]: ...
    def passages_of(self, answer_id: str) -> list[Passage]: ...


def _question_record(question: Question) -> str:
    return json.dumps({"vector_id": question.vector_id, "title": question.title, "text": question.text,
                       "url": question.url, "topics": question.topics, "answer_ids": question.answer_ids},
                      ensure_ascii=False)


def _question(question_id: str, record: str) -> Question:
    data = json.loads(record)
    return Question(question_id, data["vector_id"], data["title"], data["text"], data["url"], data["topics"],
                    data["answer_ids"])


# An answer's question fields live in its question's row, and its original text only when it differs.
QUESTION_FIELDS = {"question_title": "title", "question_text": "text", "question_url": "url"}


def _answer_record(answer: Answer) -> str:
    data = answer.to_dict()
    for field in QUESTION_FIELDS:
        del data[field]
    if data["answer_original"] == data["answer"]:
        data["answer_original"] = None
    return json.dumps(data, ensure_ascii=False)


def _answer(record: str, question_record: str) -> Answer:
    data, question = json.loads(record), json.loads(question_record)
    data.update({field: question[key] for field, key in QUESTION_FIELDS.items()})
    if data["answer_original"] is None:
        data["answer_original"] = data["answer"]
    return Answer.from_dict(data)


def write_catalog(path: Path, answers: Sequence[Answer], questions: Sequence[Question],
                  passages: Sequence[Passage], lexicons: Mapping[str, Iterable[tuple[str, int]]]) -> None:
    """Write every record (and each lexicon's words -> token ids) into a new SQLite file at `path`."""
    connection = sqlite3.connect(path)
    try:
        connection.executescript(f"PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                                 f"PRAGMA user_version = {CATALOG_FORMAT};" + SCHEMA)
        question_position = {q.question_id: i for i, q in enumerate(questions)}
        connection.executemany("INSERT INTO answers VALUES (?, ?, ?, ?)",
                               ((i, a.answer_id, question_position[a.question_id], _answer_record(a))
                                for i, a in enumerate(answers)))
        connection.executemany("INSERT INTO questions VALUES (?, ?, ?)",
                               ((i, q.question_id, _question_record(q)) for i, q in enumerate(questions)))
        connection.executemany("INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?)",
                               ((i, p.passage_id, p.answer_id, p.ordinal, p.start, p.end, p.text)
                                for i, p in enumerate(passages)))
        for name, words in lexicons.items():
            connection.executemany("INSERT INTO lexicon VALUES (?, ?, ?)", ((name, w, t) for w, t in words))
        connection.executescript(INDEXES)
        connection.commit()
    finally:
        connection.close()
    with open(path, "rb+") as handle:  # the version is switched to only once every byte is on disk
        os.fsync(handle.fileno())


class SqliteCatalog:
    """A version's catalog, read-only, one connection per thread (safe across the search threads)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise CatalogError(f"{self.path}: no catalog")
        self._uri = self.path.resolve().as_uri() + "?mode=ro&immutable=1"
        self._local = threading.local()
        found = self._one("PRAGMA user_version")[0]
        if found != CATALOG_FORMAT:
            raise CatalogError(f"{self.path}: catalog format {found}, this program reads {CATALOG_FORMAT}; rebuild the index")
        self._counts = {table: self._one(f"SELECT COUNT(*) FROM {table}")[0]
                        for table in ("answers", "questions", "passages")}

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
            except sqlite3.Error as error:
                raise CatalogError(f"{self.path}: cannot open the catalog ({error})") from error
            self._local.connection = connection
        return connection

    def _rows(self, sql: str, values: Sequence = ()) -> list[tuple]:
        try:
            return self._connection().execute(sql, tuple(values)).fetchall()
        except sqlite3.Error as error:
            raise CatalogError(f"{self.path}: cannot read the catalog ({error})") from error

    def _one(self, sql: str, values: Sequence = ()) -> tuple | None:
        rows = self._rows(sql, values)
        return rows[0] if rows else None

    def _in(self, sql: str, keys: Sequence) -> dict:
        """{key: row} for `sql` with `{}` standing for a list of as many placeholders as keys (batched)."""
        found: dict = {}
        keys = list(keys)
        for start in range(0, len(keys), READ_BATCH):
            batch = keys[start:start + READ_BATCH]
            for row in self._rows(sql.format(", ".join("?" * len(batch))), batch):
                found[row[0]] = row
        return found

    def count(self, table: str) -> int:
        return self._counts[table]

    def answers_at(self, positions: Sequence[int]) -> list[Answer]:
        rows = self._in("SELECT a.position, a.record, q.record FROM answers a JOIN questions q ON q.position = a.question "
                        "WHERE a.position IN ({})", [int(p) for p in positions])
        return [_answer(rows[int(p)][1], rows[int(p)][2]) for p in positions]

    def answer_position(self, answer_id: str) -> int | None:
        row = self._one("SELECT position FROM answers WHERE answer_id = ?", (answer_id,))
        return None if row is None else int(row[0])

    def questions_at(self, positions: Sequence[int]) -> list[Question]:
        rows = self._in("SELECT position, question_id, record FROM questions WHERE position IN ({})",
                        [int(p) for p in positions])
        return [_question(rows[int(p)][1], rows[int(p)][2]) for p in positions]

    def question_position(self, question_id: str) -> int | None:
        row = self._one("SELECT position FROM questions WHERE question_id = ?", (question_id,))
        return None if row is None else int(row[0])

    def passages_at(self, positions: Sequence[int]) -> list[Passage]:
        rows = self._in('SELECT position, passage_id, answer_id, ordinal, start, "end", text FROM passages '
                        "WHERE position IN ({})", [int(p) for p in positions])
        return [Passage(*rows[int(p)][1:]) for p in positions]

    def passages_by_id(self, ids: Sequence[int]) -> list[Passage | None]:
        rows = self._in('SELECT passage_id, answer_id, ordinal, start, "end", text FROM passages '
                        "WHERE passage_id IN ({})", [int(i) for i in ids])
        return [Passage(*rows[int(i)]) if int(i) in rows else None for i in ids]

    def passages_of(self, answer_id: str) -> list[Passage]:
        return [Passage(*row) for row in self._rows('SELECT passage_id, answer_id, ordinal, start, "end", text '
                                                   "FROM passages WHERE answer_id = ? ORDER BY ordinal", (answer_id,))]

    def lookup(self, lexicon: str, words: Sequence[str]) -> list[int | None]:
        distinct = sorted(set(words))
        found: dict[str, int] = {}
        for start in range(0, len(distinct), READ_BATCH):
            batch = distinct[start:start + READ_BATCH]
            found.update(self._rows("SELECT word, token FROM lexicon WHERE name = ? AND word IN "
                                    f"({', '.join('?' * len(batch))})", [lexicon, *batch]))
        return [found.get(w) for w in words]


class MemoryCatalog:
    """The same reads from records held in memory (tests, and versions written before the catalog)."""

    def __init__(self, answers: Sequence[Answer], questions: Sequence[Question], passages: Sequence[Passage]):
        self.answers, self.questions, self.passages = list(answers), list(questions), list(passages)
        self._answer_position = {a.answer_id: i for i, a in enumerate(self.answers)}
        self._question_position = {q.question_id: i for i, q in enumerate(self.questions)}
        self._passage = {p.passage_id: p for p in self.passages}
        self._passages_of: dict[str, list[Passage]] = {}
        for passage in self.passages:
            self._passages_of.setdefault(passage.answer_id, []).append(passage)

    def count(self, table: str) -> int:
        return len(getattr(self, table))

    def answers_at(self, positions: Sequence[int]) -> list[Answer]:
        return [self.answers[int(p)] for p in positions]

    def answer_position(self, answer_id: str) -> int | None:
        return self._answer_position.get(answer_id)

    def questions_at(self, positions: Sequence[int]) -> list[Question]:
        return [self.questions[int(p)] for p in positions]

    def question_position(self, question_id: str) -> int | None:
        return self._question_position.get(question_id)

    def passages_at(self, positions: Sequence[int]) -> list[Passage]:
        return [self.passages[int(p)] for p in positions]

    def passages_by_id(self, ids: Sequence[int]) -> list[Passage | None]:
        return [self._passage.get(int(i)) for i in ids]

    def passages_of(self, answer_id: str) -> list[Passage]:
        return list(self._passages_of.get(answer_id, []))
