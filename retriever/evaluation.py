"""Measuring ranking quality through the ranker's own code, on judged worries and on the automatic benchmark.

Judged sets: the project's (data/ranking/: worries, every pooled judgement with its negatives, folds
drawn once) and ../shared/eval/dev_queries.tsv (30 worries). Relevance is binary and given per
question: an answer is relevant when its question was judged relevant.

Metrics (one place, used by scripts/evaluate.py and scripts/train_ranker.py):
- answer-level nDCG@10: the ranked answers; the ideal counts every distinct relevant answer;
- question-level nDCG@5: the distinct questions in order of first appearance (what a person sees
  when each question is shown once); the ideal counts every relevant question;
- hit@1 and MRR@10 on answers;
- abstention: how often `low_confidence` is set on worries the corpus can answer and on those it
  cannot (no judged-relevant question).
The automatic benchmark needs no labels: each question (title and body) is a query against the
answer texts only, and its own answers are the relevant ones; question signals must be off there.
"""
from __future__ import annotations

import math
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from index.corpus import Answer
from index.loader import LoadedIndex

CUTOFF = 10
QUESTION_CUTOFF = 5


@dataclass(frozen=True)
class JudgedWorry:
    text: str
    judged: dict[str, int]  # question key -> 1 relevant / 0 judged not relevant (unjudged: absent)
    fold: int | None = None

    @property
    def relevant(self) -> frozenset[str]:
        return frozenset(k for k, label in self.judged.items() if label)


def read_qrels(path: str | Path, folds: str | Path | None = None) -> list[JudgedWorry]:
    """`worry<TAB>question key<TAB>0|1` lines (every judgement), with `worry<TAB>fold` lines from `folds`."""
    judged: dict[str, dict[str, int]] = {}
    for number, line in _lines(path):
        parts = line.split("\t")
        if len(parts) != 3 or parts[2] not in {"0", "1"} or not parts[0].strip() or not parts[1].strip():
            raise ValueError(f"{path}:{number}: expected 'worry<TAB>question-key<TAB>0|1'")
        judged.setdefault(parts[0].strip(), {})[parts[1].strip()] = int(parts[2])
    fold_of = {}
    if folds is not None:
        for number, line in _lines(folds):
            worry, _, fold = line.partition("\t")
            if not fold.strip().isdigit():
                raise ValueError(f"{folds}:{number}: expected 'worry<TAB>fold'")
            fold_of[worry.strip()] = int(fold)
    return [JudgedWorry(text, labels, fold_of.get(text)) for text, labels in judged.items()]


def read_labelled_queries(path: str | Path) -> list[JudgedWorry]:
    """`worry<TAB>key,key,...` lines (the relevant questions only, as in dev_queries.tsv)."""
    worries = []
    for number, line in _lines(path):
        text, sep, keys = line.partition("\t")
        relevant = [k.strip() for k in keys.split(",") if k.strip()]
        if not sep or not text.strip() or not relevant:
            raise ValueError(f"{path}:{number}: expected 'worry<TAB>question-key[,question-key...]'")
        worries.append(JudgedWorry(text.strip(), {k: 1 for k in relevant}))
    return worries


def _lines(path: str | Path) -> Iterable[tuple[int, str]]:
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip() and not line.startswith("#"):
                yield number, line.rstrip("\n")


# --- metrics -----------------------------------------------------------------------------------

def dcg(gains: Sequence[int]) -> float:
    return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains, start=1))


def ndcg(ranked: Sequence, relevant: set, k: int) -> float:
    """Binary nDCG@k; a label repeated in `ranked` gains only the first time."""
    seen, gains = set(), []
    for label in ranked[:k]:
        gains.append(1 if label in relevant and label not in seen else 0)
        seen.add(label)
    ideal = dcg([1] * min(k, len(relevant)))
    return dcg(gains) / ideal if ideal else 0.0


def first_appearances(items: Iterable) -> list:
    """The distinct items in order of first appearance."""
    return list(dict.fromkeys(items))


@dataclass
class Scores:
    system: str
    worries: int  # with at least one relevant answer in the index
    ndcg_at_10: float
    question_ndcg_at_5: float
    hit_at_1: float
    mrr_at_10: float
    low_confidence_answerable: str  # "flagged/count" on worries the corpus can answer
    low_confidence_unanswerable: str  # "flagged/count" on worries it cannot
    median_ms: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


# A system: (worry text, its vector) -> (ranked answers, low_confidence)
System = Callable[[str, np.ndarray], tuple[list[Answer], bool]]


def score_system(name: str, system: System, index: LoadedIndex, worries: Sequence[JudgedWorry],
                 vectors: np.ndarray) -> Scores:
    """Run every worry through `system` and average the metrics over worries the index can answer."""
    answers_of: dict[str, set[str]] = {}
    for answer in index.answers:
        answers_of.setdefault(answer.question_id, set()).add(answer.answer_id)
    ndcgs, qndcgs, hits, mrrs, times = [], [], [], [], []
    flagged = {True: 0, False: 0}
    counts = {True: 0, False: 0}
    for worry, vector in zip(worries, vectors):
        started = time.perf_counter()
        ranked, low = system(worry.text, vector)
        times.append((time.perf_counter() - started) * 1000)
        wanted = {a for q in worry.relevant for a in answers_of.get(q, ())}
        answerable = bool(wanted)
        counts[answerable] += 1
        flagged[answerable] += bool(low)
        if not answerable:
            continue
        ids = [a.answer_id for a in ranked]
        ndcgs.append(ndcg(ids, wanted, CUTOFF))
        questions = first_appearances(a.question_id for a in ranked)
        qndcgs.append(ndcg(questions, {q for q in worry.relevant if q in answers_of}, QUESTION_CUTOFF))
        hits.append(1.0 if ids[:1] and ids[0] in wanted else 0.0)
        mrrs.append(next((1.0 / r for r, a in enumerate(ids[:CUTOFF], 1) if a in wanted), 0.0))
    mean = lambda values: round(float(np.mean(values)), 4) if values else 0.0
    return Scores(name, len(ndcgs), mean(ndcgs), mean(qndcgs), mean(hits), mean(mrrs),
                  f"{flagged[True]}/{counts[True]}", f"{flagged[False]}/{counts[False]}",
                  round(statistics.median(times), 2) if times else 0.0)


def question_queries(index: LoadedIndex) -> list[JudgedWorry]:
    """The automatic benchmark: each question (title and body) is a query for its own answers."""
    return [JudgedWorry(q.embedding_text, {q.question_id: 1}) for q in index.questions]


def format_table(title: str, rows: Sequence[Scores]) -> str:
    lines = [f"**{title}**", "",
             "| system | nDCG@10 (answers) | nDCG@5 (questions) | hit@1 | MRR@10 | low_confidence: answerable | unanswerable | ms |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in rows:
        lines.append(f"| {s.system} | {s.ndcg_at_10:.3f} | {s.question_ndcg_at_5:.3f} | {s.hit_at_1:.3f} | "
                     f"{s.mrr_at_10:.3f} | {s.low_confidence_answerable} | {s.low_confidence_unanswerable} | "
                     f"{s.median_ms:.1f} |")
    return "\n".join(lines)


class TwoLineBaseline:
    """0.8 x the best of title/body cosine + 0.2 x whole-answer cosine (MiniLM, no BM25, no passages).

    The reference every change must beat; `question_weight=0` leaves the whole-answer cosine alone,
    for the automatic benchmark. Never low_confidence (it has no calibration).
    """

    def __init__(self, index: LoadedIndex, whole_answers: np.ndarray, question_weight: float = 0.8):
        position = {q.question_id: i for i, q in enumerate(index.questions)}
        self.answer_question = np.array([position[a.question_id] for a in index.answers])
        self.views = index.question_views  # (title, body) x questions x dimension
        self.whole = whole_answers
        self.answers = index.answers
        self.question_weight = question_weight

    def __call__(self, text: str, vector: np.ndarray) -> tuple[list[Answer], bool]:
        scores = (1 - self.question_weight) * (self.whole @ vector)
        if self.question_weight:
            scores = scores + self.question_weight * (self.views @ vector).max(axis=0)[self.answer_question]
        top = np.argsort(-scores, kind="stable")[: CUTOFF * 3]
        ranked, seen = [], set()
        for i in top:
            key = " ".join(self.answers[i].answer.lower().split())
            if key not in seen:
                seen.add(key)
                ranked.append(self.answers[i])
        return ranked[:CUTOFF], False
