"""The small per-answer and per-question arrays ranking reads, written with the version and mapped.

Why: the ranker needs a few facts about every candidate (its question, its upvote prior, its
length, its passages, its flags and topics, a key that tells repeated texts apart, the rank of its
id for ties) and ways from vector ids back to positions. Computed at start-up from every record,
they cost time and memory in proportion to the corpus in every worker; computed once by the build
and kept as `.npy` files in the version (`tables/`), each worker maps them read-only and reads only
the rows of its candidates. An index held in memory (tests, versions written before these files)
gets the same arrays from `compute_tables`, the one function the build also uses, so both rank
identically.

Positions are those of the catalog (index/catalog.py): answers in corpus order, questions in the
order their first answer appears, passages grouped by answer in answer order.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from index.arrays import open_array, save_array
from index.subject import SUBJECTS, subject_of

if TYPE_CHECKING:
    from index.corpus import Answer
    from index.loader import Question
    from index.passages import Passage

TABLES_DIR = "tables"
NAMES_FILE = "names.json"


class TablesError(ValueError):
    """The tables of a version are missing or disagree with its records."""


@dataclass
class RankingTables:
    # per answer (N rows)
    answer_question: np.ndarray  # int64: the position of its question
    answer_prior: np.ndarray  # float64: log(1 + upvotes) / log(1 + the most upvotes)
    answer_length: np.ndarray  # float64: log(1 + characters)
    answer_id_rank: np.ndarray  # int64: rank of its id in sorted order (ties in score: the id decides)
    answer_text_key: np.ndarray  # int64: rank of its normalised text (equal texts, equal key)
    answer_flags: np.ndarray  # uint64 (N, words): bit f = flag `flags[f]`
    answer_topics: np.ndarray  # uint64 (N, words): bit t = topic `topics[t]`
    answer_passage_start: np.ndarray  # int64 (N + 1): its passages are passage_ids[start[i]:start[i + 1]]
    passage_ids: np.ndarray  # int64 (P): every passage id, grouped by answer, in order
    passage_lookup_ids: np.ndarray  # int64 (P): the passage ids sorted
    passage_lookup_owner: np.ndarray  # int64 (P): the answer position of each sorted id
    # per question (Q rows)
    question_vector_id: np.ndarray  # int64
    question_answer_count: np.ndarray  # float64: log(1 + its answers)
    question_subject: np.ndarray  # int8: index into SUBJECTS of whose problem it is about
    question_topics: np.ndarray  # uint64 (Q, words)
    question_answer_start: np.ndarray  # int64 (Q + 1): its answers are question_answers[start[q]:start[q + 1]]
    question_answers: np.ndarray  # int64 (N): answer positions grouped by question, ascending
    question_lookup_ids: np.ndarray  # int64 (Q): the question vector ids sorted
    question_lookup_position: np.ndarray  # int64 (Q)
    # per flag (F)
    flag_question_start: np.ndarray  # int64 (F + 1)
    flag_questions: np.ndarray  # int64: sorted positions of the questions with an answer carrying the flag
    names: dict  # {"topics": [...] most common first, "topic_answers": [...], "flags": [...], "subjects": [...]}

    @property
    def answers(self) -> int:
        return len(self.answer_question)

    @property
    def questions(self) -> int:
        return len(self.question_vector_id)

    @property
    def passages(self) -> int:
        return len(self.passage_ids)

    @property
    def topics(self) -> dict[str, int]:
        """Topic -> number of answers, most common first."""
        return dict(zip(self.names["topics"], self.names["topic_answers"]))

    def passages_of(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The passage ids of the answers at `positions`, concatenated in that order, and how many each has."""
        starts = self.answer_passage_start[positions]
        counts = self.answer_passage_start[positions + 1] - starts
        return gather(self.passage_ids, starts, counts), counts

    def answers_of_questions(self, questions: np.ndarray) -> np.ndarray:
        """The answer positions of the questions at `questions`, ascending (for sorted `questions`)."""
        starts = self.question_answer_start[questions]
        found = gather(self.question_answers, starts, self.question_answer_start[questions + 1] - starts)
        return np.sort(found)

    def topic_bits(self, topics: Sequence[str]) -> np.ndarray | None:
        """The mask words of `topics` (None when none of them is known)."""
        return _bits(self.names["topics"], topics, self.answer_topics.shape[1])

    def flag_bits(self, flags: Sequence[str]) -> np.ndarray | None:
        return _bits(self.names["flags"], flags, self.answer_flags.shape[1])

    def questions_with_flag(self, flag: str) -> np.ndarray:
        names = self.names["flags"]
        if flag not in names:
            return np.zeros(0, np.int64)
        f = names.index(flag)
        return np.asarray(self.flag_questions[self.flag_question_start[f]:self.flag_question_start[f + 1]])

    def subject_code(self, subject: str) -> int:
        return SUBJECTS.index(subject)

    # --- disk ---------------------------------------------------------------------------------

    def write(self, directory: Path) -> list[str]:
        """Write every array into `directory`/tables; return the file names (relative to `directory`)."""
        folder = directory / TABLES_DIR
        folder.mkdir(exist_ok=True)
        files = []
        for name in self._array_names():
            save_array(folder / f"{name}.npy", getattr(self, name))
            files.append(f"{TABLES_DIR}/{name}.npy")
        (folder / NAMES_FILE).write_text(json.dumps(self.names, ensure_ascii=False), encoding="utf-8")
        return files + [f"{TABLES_DIR}/{NAMES_FILE}"]

    @classmethod
    def open(cls, directory: Path) -> "RankingTables":
        """The tables of the version in `directory`, mapped read-only."""
        folder = directory / TABLES_DIR
        try:
            names = json.loads((folder / NAMES_FILE).read_text(encoding="utf-8"))
            arrays = {name: open_array(folder / f"{name}.npy") for name in cls._array_names()}
        except (OSError, ValueError) as error:
            raise TablesError(f"{folder}: cannot read the ranking tables ({error})") from error
        return cls(**arrays, names=names)

    @classmethod
    def _array_names(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name != "names"]


def gather(values: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """values[starts[0]:starts[0] + counts[0]], then the next range, ... as one array (no Python loop)."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=values.dtype)
    before = np.cumsum(counts) - counts  # where each range begins in the output
    return np.asarray(values)[np.repeat(np.asarray(starts, dtype=np.int64) - before, counts) + np.arange(total)]


def _bits(names: list[str], wanted: Sequence[str], words: int) -> np.ndarray | None:
    known = [names.index(w) for w in wanted if w in names]
    if not known:
        return None
    mask = np.zeros(max(words, 1), dtype=np.uint64)
    for bit in known:
        mask[bit // 64] |= np.uint64(1) << np.uint64(bit % 64)
    return mask


def has_any(rows: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per row of a (n, words) bit table: whether it shares a bit with `mask`."""
    return (np.asarray(rows) & mask).any(axis=1)


def bit_masks(values: Sequence[Sequence[str]], names: list[str]) -> np.ndarray:
    words = max(1, math.ceil(len(names) / 64))
    bit = {name: n for n, name in enumerate(names)}
    out = np.zeros((len(values), words), dtype=np.uint64)
    for row, items in enumerate(values):
        for item in items:
            b = bit[item]
            out[row, b // 64] |= np.uint64(1) << np.uint64(b % 64)
    return out


def _ranks(keys: list[str]) -> np.ndarray:
    """Dense rank of each key in sorted order: equal keys get equal ranks."""
    order = {key: rank for rank, key in enumerate(sorted(set(keys)))}
    return np.array([order[key] for key in keys], dtype=np.int64)


def _by_group(groups: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts (size + 1), members ascending within each group) for a group index per member."""
    order = np.argsort(groups, kind="stable")
    starts = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(groups, minlength=size), out=starts[1:])
    return starts, order.astype(np.int64)


def compute_tables(answers: Sequence["Answer"], questions: Sequence["Question"],
                   passages: Sequence["Passage"]) -> RankingTables:
    """Every table from the records themselves (what the build writes; what an in-memory index uses)."""
    question_position = {q.question_id: i for i, q in enumerate(questions)}
    answer_position = {a.answer_id: i for i, a in enumerate(answers)}
    answer_question = np.array([question_position[a.question_id] for a in answers], dtype=np.int64)
    upvotes = np.array([a.upvotes for a in answers], dtype=np.float64)
    prior = np.log1p(upvotes) / math.log1p(max(upvotes.max(initial=0.0), 1.0))
    length = np.log1p(np.array([len(a.answer) for a in answers], dtype=np.float64))
    counts = np.bincount(answer_question, minlength=len(questions)).astype(np.float64)

    owners = np.array([answer_position[p.answer_id] for p in passages], dtype=np.int64)
    passage_start, passage_order = _by_group(owners, len(answers))
    all_passage_ids = np.array([p.passage_id for p in passages], dtype=np.int64)
    passage_ids = all_passage_ids[passage_order]
    lookup = np.argsort(all_passage_ids)

    question_ids = np.array([q.vector_id for q in questions], dtype=np.int64)
    question_lookup = np.argsort(question_ids)
    question_answer_start, question_answers = _by_group(answer_question, len(questions))

    topic_counts: dict[str, int] = {}
    for answer in answers:
        for topic in answer.topics:
            topic_counts[topic] = topic_counts.get(topic, 0) + 1
    topics = sorted(topic_counts, key=lambda t: (-topic_counts[t], t))  # a question's topics are its answers'
    flags = sorted({flag for answer in answers for flag in answer.flags})
    flag_masks = bit_masks([a.flags for a in answers], flags)
    flag_questions = [np.unique(answer_question[has_any(flag_masks, _bits(flags, [flag], flag_masks.shape[1]))])
                      for flag in flags]
    flag_start = np.zeros(len(flags) + 1, dtype=np.int64)
    np.cumsum([len(q) for q in flag_questions], out=flag_start[1:])
    return RankingTables(
        answer_question=answer_question, answer_prior=prior, answer_length=length,
        answer_id_rank=_ranks([a.answer_id for a in answers]),
        answer_text_key=_ranks([" ".join(a.answer.lower().split()) for a in answers]),
        answer_flags=flag_masks, answer_topics=bit_masks([a.topics for a in answers], topics),
        answer_passage_start=passage_start, passage_ids=passage_ids,
        passage_lookup_ids=all_passage_ids[lookup], passage_lookup_owner=owners[lookup],
        question_vector_id=question_ids, question_answer_count=np.log1p(counts),
        question_subject=np.array([SUBJECTS.index(subject_of(f"{q.title} {q.text}")) for q in questions], dtype=np.int8),
        question_topics=bit_masks([q.topics for q in questions], topics),
        question_answer_start=question_answer_start, question_answers=question_answers,
        question_lookup_ids=question_ids[question_lookup], question_lookup_position=question_lookup.astype(np.int64),
        flag_question_start=flag_start,
        flag_questions=np.concatenate(flag_questions).astype(np.int64) if flag_questions else np.zeros(0, np.int64),
        names={"topics": topics, "topic_answers": [topic_counts.get(t, 0) for t in topics], "flags": flags,
               "subjects": list(SUBJECTS)})


def lookup_positions(sorted_ids: np.ndarray, values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """values[i] for each id found at sorted_ids[i]; -1 for an id not there (one `searchsorted`)."""
    ids = np.asarray(ids, dtype=np.int64)
    if not len(sorted_ids):
        return np.full(len(ids), -1, dtype=np.int64)
    where = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    return np.where(np.asarray(sorted_ids)[where] == ids, np.asarray(values)[where], -1)
