"""Reading a corpus of therapist answers (CounselChat CSV, or JSON Lines with the same fields).

A corpus is a list of `Answer` records: cleaned text for embedding and display, the original text
kept beside it, a stable `answer_id`, and a `content_hash` that tells a rebuild what changed.
Exact duplicate answers (the same text to the same question) become one record.
"""
from __future__ import annotations

import csv
import hashlib
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from index.text import clean_text, question_key, therapist_parts

REQUIRED_FIELDS = ("questionTitle", "questionLink", "answerText")
INT_FIELDS = ("upvotes", "views")


class CorpusError(ValueError):
    """The corpus file cannot be read; the message names the file, line and field."""


@dataclass
class Answer:
    answer_id: str
    question_id: str
    question_title: str
    question_text: str
    question_url: str
    topics: list[str]
    therapist: str
    therapist_url: str
    answer: str
    answer_original: str
    upvotes: int
    views: int
    credentials: str = ""  # what the profile shows after the name: letters and title line ("LCSW, Couples Therapist")
    content_hash: str = ""
    flags: list[str] = field(default_factory=list)

    @property
    def topic(self) -> str:
        return self.topics[0] if self.topics else ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Answer":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class Corpus:
    answers: list[Answer]
    source_sha256: str
    rows_read: int
    duplicates_merged: int = 0
    bad_rows: list[str] = field(default_factory=list)
    empty_answers: int = 0

    @property
    def question_count(self) -> int:
        return len({a.question_id for a in self.answers})


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_corpus(path: str | Path, *, skip_bad_rows: bool = False) -> Corpus:
    """Read a CSV or JSON Lines corpus; raise `CorpusError` on the first bad row unless skipping."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path}: no such file")
    rows = _read_jsonl(path) if _is_jsonl(path) else _read_csv(path)
    answers: dict[tuple[str, str], Answer] = {}
    bad_rows: list[str] = []
    rows_read = duplicates = empty = 0
    for line, row in rows:
        rows_read += 1
        try:
            answer = _answer_from_row(row, path, line)
        except CorpusError as error:
            if not skip_bad_rows:
                raise
            bad_rows.append(str(error))
            continue
        if answer is None:
            empty += 1
            continue
        key = (answer.question_id, answer.answer)
        if key in answers:
            _merge_duplicate(answers[key], answer)
            duplicates += 1
            continue
        answers[key] = answer
    result = list(answers.values())
    _assign_answer_ids(result)
    if not result:
        raise CorpusError(f"{path}: no answers found")
    return Corpus(result, file_sha256(path), rows_read, duplicates, bad_rows, empty)


def _is_jsonl(path: Path) -> bool:
    if path.suffix.lower() in {".jsonl", ".ndjson", ".json"}:
        return True
    with open(path, "rb") as handle:
        return handle.read(64).lstrip().startswith(b"{")


def _read_csv(path: Path) -> Iterator[tuple[int, dict]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [f for f in REQUIRED_FIELDS if f not in (reader.fieldnames or [])]
            if missing:
                raise CorpusError(f"{path}: not a CounselChat CSV: missing column(s) {', '.join(missing)}")
            for row in reader:
                if None in row:
                    raise CorpusError(f"{path}, line {reader.line_num}: more fields than the header has")
                yield reader.line_num, row
    except UnicodeDecodeError as error:
        raise CorpusError(f"{path}: not UTF-8 text ({error.reason})") from error
    except csv.Error as error:
        raise CorpusError(f"{path}: malformed CSV: {error}") from error


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    try:
        with open(path, encoding="utf-8") as handle:
            for line_number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise CorpusError(f"{path}, line {line_number}: invalid JSON: {error.msg}") from error
                if not isinstance(row, dict):
                    raise CorpusError(f"{path}, line {line_number}: expected a JSON object")
                yield line_number, row
    except UnicodeDecodeError as error:
        raise CorpusError(f"{path}: not UTF-8 text ({error.reason})") from error


def _answer_from_row(row: dict, path: Path, line: int) -> Answer | None:
    where = f"{path}, line {line}"
    for name in REQUIRED_FIELDS:
        value = row.get(name)
        if value is None or not isinstance(value, str):
            raise CorpusError(f"{where}, field {name}: missing or not text")
    counts = {}
    for name in INT_FIELDS:
        counts[name] = _as_count(row.get(name), f"{where}, field {name}")
    key = question_key(row["questionLink"])
    if not key:
        raise CorpusError(f"{where}, field questionLink: empty link")
    title = clean_text(row["questionTitle"])
    if not title:
        raise CorpusError(f"{where}, field questionTitle: empty")
    original = row["answerText"]
    answer = clean_text(original)
    if not answer:
        return None
    therapist_url = str(row.get("therapistURL") or "").strip()
    therapist, credentials = therapist_parts(str(row.get("therapistInfo") or ""), therapist_url)
    topic = str(row.get("topic") or "").strip().lower()
    record = Answer(
        answer_id=str(row.get("answer_id") or "").strip(),
        question_id=key,
        question_title=title,
        question_text=clean_text(str(row.get("questionText") or "")),
        question_url=row["questionLink"].strip(),
        topics=[topic] if topic else [],
        therapist=therapist,
        therapist_url=therapist_url,
        answer=answer,
        answer_original=original,
        credentials=credentials,
        **counts,
    )
    record.content_hash = content_hash(record)
    return record


def _as_count(value, where: str) -> int:
    if value is None or value == "":
        return 0
    try:
        number = int(float(value)) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise CorpusError(f"{where}: not a number: {str(value)[:40]!r}") from None
    if number < 0:
        raise CorpusError(f"{where}: negative: {number}")
    return number


def _merge_duplicate(kept: Answer, duplicate: Answer) -> None:
    for topic in duplicate.topics:
        if topic not in kept.topics:
            kept.topics.append(topic)
    kept.upvotes = max(kept.upvotes, duplicate.upvotes)
    kept.views = max(kept.views, duplicate.views)
    kept.content_hash = content_hash(kept)


def content_hash(answer: Answer) -> str:
    """Hash of everything an index stores for an answer: a change means re-embed or re-write."""
    fields = [answer.question_title, answer.question_text, answer.answer, ",".join(answer.topics),
              answer.therapist, str(answer.upvotes), str(answer.views), answer.question_url, answer.credentials]
    return hashlib.sha1("\x1f".join(fields).encode("utf-8")).hexdigest()


def _assign_answer_ids(answers: list[Answer]) -> None:
    """Give each answer an id that survives rebuilds and edits of its text.

    CounselChat has no answer id. A therapist answers a question once (after merging duplicates),
    so (question key, therapist profile) names an answer; an ordinal separates the rare repeats.
    An id given in the data (JSON Lines `answer_id`) is kept.
    """
    seen: dict[str, int] = {}
    for answer in answers:
        if answer.answer_id:
            continue
        base = f"{answer.question_id}\x1f{answer.therapist_url or answer.therapist}"
        ordinal = seen.get(base, 0)
        seen[base] = ordinal + 1
        answer.answer_id = hashlib.sha1(f"{base}\x1f{ordinal}".encode("utf-8")).hexdigest()[:12]
    ids = [a.answer_id for a in answers]
    if len(ids) != len(set(ids)):
        dupes = sorted({i for i in ids if ids.count(i) > 1})[:3]
        raise CorpusError(f"answer_id values must be unique; repeated: {', '.join(dupes)}")
