"""From a worry to candidate answers, each with named signals computed exactly for it.

Each source returns its own top candidates, and only their union is scored:
- the question views (title, body, and title + body as one text): the best questions by cosine;
- the passages (every answer is split into passages, so nothing past the model's window is lost);
- BM25 over questions and over answers (an inverted index: work in proportion to the query words'
  postings, not to the corpus).
Then every candidate gets every signal exactly, whichever source found it: its question's cosine
per view, its best and mean passage cosine (its passage vectors fetched by id), BM25 of its question
and of its text, and a few facts about it (upvotes, length, how many answers its question has,
whether the worry's subject matches the question's). The fusion (fusion.py) turns these named
signals into one score; training (scripts/train_ranker.py) reads exactly the same ones.

Topic filters are applied inside the sources (the stores' id selectors, the BM25 postings), never
by scoring the whole corpus and masking it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from index.loader import LoadedIndex
from retriever.lexical import LexicalIndex
from retriever.subject import subject_of

# The named signals, in the order the learned model reads them (retriever/data/ranker.json names them too).
SIGNALS = (
    "q_title", "q_body", "q_combined", "q_best",       # cosine of the worry to the question, per view, and the best view
    "a_best", "a_mean",                                 # best and mean cosine to the answer's passages
    "bm25_q", "bm25_a",                                 # BM25 of question and answer, / the best candidate's (0..1)
    "bm25_q_log", "bm25_a_log",                         # log(1 + raw BM25): how much word overlap there is at all
    "prior", "a_length", "q_answers",                   # upvotes (0..1), log answer length, log answers to the question
    "subject_match", "subject_named",                   # the worry names a relative, and whether the question's is the same
    "q_best_gap", "a_best_gap",                         # distance to the query's best candidate on q_best / a_best
    "query_words",                                      # log words in the worry
)


@dataclass(frozen=True)
class CandidateCounts:
    """How many candidates each source returns (the union is scored)."""

    questions: int = 100  # per question view
    passages: int = 400
    lexical: int = 50  # BM25 questions and BM25 answers, each


@dataclass
class Candidates:
    """The answers some source retrieved (positions in `LoadedIndex.answers`, ascending) and their signals."""

    positions: np.ndarray
    values: dict[str, np.ndarray]
    best_passages: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # each one's closest passage id (-1: none)
    questions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # each candidate's question position

    def matrix(self, names: Sequence[str] = SIGNALS) -> np.ndarray:
        """(candidates, len(names)) float64: the signals in `names` order."""
        return np.column_stack([self.values[n] for n in names]) if len(self.positions) else np.zeros((0, len(names)))

    def per_question(self, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(distinct questions, len(names) + 1) and each candidate's row in it: per question the
        highest value of each signal over its candidate answers, then log(1 + its candidate answers).
        Relevance was judged per question: a model scores questions, not answer counts."""
        unique, inverse = np.unique(self.questions, return_inverse=True)
        if not len(unique):
            return np.zeros((0, len(names) + 1)), inverse
        order = np.argsort(inverse, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(inverse[order]) != 0])
        table = np.maximum.reduceat(self.matrix(names)[order], starts, axis=0)
        counts = np.bincount(inverse, minlength=len(unique)).astype(np.float64)
        return np.column_stack([table, np.log1p(counts)]), inverse


class SignalExtractor:
    """Candidate generation and signals for one loaded index; immutable, safe across threads."""

    def __init__(self, index: LoadedIndex, counts: CandidateCounts = CandidateCounts()):
        self.index = index
        self.counts = counts
        answers, questions = index.answers, index.questions
        self.question_position = {q.question_id: i for i, q in enumerate(questions)}
        self.answer_question = np.array([self.question_position[a.question_id] for a in answers], dtype=np.int64)
        self.question_lexical = LexicalIndex([q.embedding_text for q in questions])
        self.answer_lexical = LexicalIndex([a.answer for a in answers])
        upvotes = np.array([a.upvotes for a in answers], dtype=np.float64)
        self.prior = np.log1p(upvotes) / math.log1p(max(upvotes.max(initial=0.0), 1.0))
        self.length = np.log1p(np.array([len(a.answer) for a in answers], dtype=np.float64))
        self.question_answers = np.log1p(np.bincount(self.answer_question, minlength=len(questions)).astype(np.float64))
        self.question_subject = np.array([subject_of(f"{q.title} {q.text}") for q in questions])
        self.passages_of = [np.array([p.passage_id for p in index.passages_by_answer.get(a.answer_id, [])], dtype=np.int64)
                            for a in answers]
        # the same as one flat array: answer i's passages are flat_passages[first_passage[i]:][:passage_count[i]]
        self.passage_count = np.array([len(ids) for ids in self.passages_of], dtype=np.int64)
        self.first_passage = np.concatenate([[0], np.cumsum(self.passage_count)[:-1]]).astype(np.int64)
        self.flat_passages = (np.concatenate(self.passages_of) if self.passages_of else np.zeros(0)).astype(np.int64)
        self.passage_owner = IdLookup(np.concatenate(self.passages_of) if self.passages_of else [],
                                      np.repeat(np.arange(len(answers)), [len(ids) for ids in self.passages_of]))
        # question vectors per view, (views, questions, dimension): combined from its store, then title, body
        combined = np.asarray(index.question_store.get_vectors([q.vector_id for q in questions]), dtype=np.float32)
        views = [combined] + (list(index.question_views) if index.question_views is not None else [combined, combined])
        self.question_vectors = np.stack(views)
        self.topic_answers: dict[str, np.ndarray] = {}
        self.topic_questions: dict[str, np.ndarray] = {}
        for topic in index.topics:
            self.topic_answers[topic] = np.array([i for i, a in enumerate(answers) if topic in a.topics], dtype=np.int64)
            self.topic_questions[topic] = np.array([i for i, q in enumerate(questions) if topic in q.topics],
                                                   dtype=np.int64)

    def allowed(self, topics: Sequence[str] | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Sorted answer and question positions under `topics` (None, None: no filter)."""
        if not topics:
            return None, None
        answers = np.unique(np.concatenate([self.topic_answers.get(t, np.zeros(0, np.int64)) for t in topics]))
        questions = np.unique(np.concatenate([self.topic_questions.get(t, np.zeros(0, np.int64)) for t in topics]))
        return answers, questions

    def candidates(self, query: str, vector: np.ndarray, topics: Sequence[str] | None = None,
                   only_questions: np.ndarray | None = None) -> Candidates:
        """Every answer a source retrieved for the worry, with all its signals.

        `only_questions` (sorted question positions) restricts every source to the answers of those
        questions, e.g. the questions of one crisis situation (retriever/crisis_retrieval.py).
        """
        vector = np.asarray(vector, dtype=np.float32)
        allowed_answers, allowed_questions = self.allowed(topics)
        if only_questions is not None:
            allowed_questions = only_questions if allowed_questions is None else np.intersect1d(allowed_questions,
                                                                                               only_questions)
            in_questions = np.flatnonzero(np.isin(self.answer_question, allowed_questions))
            allowed_answers = in_questions if allowed_answers is None else np.intersect1d(allowed_answers, in_questions)
        view_scores = self.question_vectors @ vector  # (views, questions): a few thousand products per view
        chosen_questions = [self._top(view_scores[v], self.counts.questions, allowed_questions)
                            for v in range(len(view_scores))]
        lexical = (self.question_lexical.sparse_scores(query), self.answer_lexical.sparse_scores(query))  # once each
        lexical_questions, _ = LexicalIndex.top(lexical[0], self.counts.lexical, allowed_questions)
        lexical_answers, _ = LexicalIndex.top(lexical[1], self.counts.lexical, allowed_answers)
        passage_hits = self._passage_hits(vector, topics)
        questions = np.unique(np.concatenate([*chosen_questions, lexical_questions]))
        from_questions = np.flatnonzero(np.isin(self.answer_question, questions))
        positions = np.unique(np.concatenate([from_questions, lexical_answers, passage_hits]))
        if allowed_answers is not None:
            positions = np.intersect1d(positions, allowed_answers)
        values, best_passages = self._signals(query, vector, positions, view_scores, lexical)
        return Candidates(positions, values, best_passages, self.answer_question[positions])

    def _top(self, scores: np.ndarray, k: int, allowed: np.ndarray | None) -> np.ndarray:
        if allowed is not None:
            scores = scores[allowed]
        k = min(k, len(scores))
        if not k:
            return np.zeros(0, np.int64)
        part = np.argpartition(-scores, k - 1)[:k]
        return part if allowed is None else allowed[part]

    def _passage_hits(self, vector: np.ndarray, topics) -> np.ndarray:
        """Positions of the answers owning the passage store's top hits (an id this version does not know: skipped)."""
        _, ids = self.index.passage_store.search(vector, self.counts.passages, topics or None)
        owners = self.passage_owner.positions(ids[0][ids[0] >= 0])
        return np.unique(owners[owners >= 0])

    def _signals(self, query: str, vector: np.ndarray, positions: np.ndarray, view_scores: np.ndarray,
                 lexical) -> tuple[dict[str, np.ndarray], np.ndarray]:
        questions = self.answer_question[positions]
        q_views = view_scores[:, questions].astype(np.float64)
        a_best, a_mean, best_passages = self._passage_cosines(vector, positions)
        bm25_q = LexicalIndex.scores_of(lexical[0], questions).astype(np.float64)
        bm25_a = LexicalIndex.scores_of(lexical[1], positions).astype(np.float64)
        worry_subject = subject_of(query)
        q_best = q_views.max(axis=0) if len(positions) else np.zeros(0)
        values = {
            "q_combined": q_views[0], "q_title": q_views[1], "q_body": q_views[2], "q_best": q_best,
            "a_best": a_best, "a_mean": a_mean,
            "bm25_q": bm25_q / max(bm25_q.max(initial=0.0), 1e-9), "bm25_a": bm25_a / max(bm25_a.max(initial=0.0), 1e-9),
            "bm25_q_log": np.log1p(bm25_q), "bm25_a_log": np.log1p(bm25_a),
            "prior": self.prior[positions], "a_length": self.length[positions],
            "q_answers": self.question_answers[questions],
            "subject_named": np.full(len(positions), float(worry_subject != "self")),
            "subject_match": (self.question_subject[questions] == worry_subject).astype(np.float64),
            "q_best_gap": q_best - q_best.max(initial=0.0), "a_best_gap": a_best - a_best.max(initial=0.0),
            "query_words": np.full(len(positions), math.log1p(len(query.split()))),
        }
        return {name: values[name] for name in SIGNALS}, best_passages

    def _passage_cosines(self, vector: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Best and mean cosine of the worry to each candidate's passages (their vectors fetched by id, in
        one gather), and the id of the closest passage (the highlight), -1 for an answer without passages."""
        counts = self.passage_count[positions]
        total = int(counts.sum())
        best, mean, closest = np.zeros(len(positions)), np.zeros(len(positions)), np.full(len(positions), -1, np.int64)
        if not total:
            return best, mean, closest
        # flat positions of every candidate's passages, in candidate order, without a Python loop
        offsets = np.repeat(self.first_passage[positions] - (np.cumsum(counts) - counts), counts) + np.arange(total)
        ids = self.flat_passages[offsets]
        cosines = np.asarray(self.index.passage_store.get_vectors(ids), dtype=np.float32) @ vector
        has = counts > 0
        starts = (np.cumsum(counts) - counts)[has]
        best[has] = np.maximum.reduceat(cosines, starts)
        mean[has] = np.add.reduceat(cosines, starts) / counts[has]
        segment = np.repeat(np.arange(len(positions)), counts)
        at_best = np.flatnonzero(cosines == best[segment])
        owners, first = np.unique(segment[at_best], return_index=True)
        closest[owners] = ids[at_best[first]]
        return best, mean, closest


class IdLookup:
    """Maps 63-bit vector ids to positions with one `searchsorted`, for whole arrays of ids at once
    (-1 for an id it does not know: a shared Milvus collection may return ids of a newer version)."""

    def __init__(self, ids: Sequence[int], values: np.ndarray):
        ids = np.asarray(ids, dtype=np.int64)
        order = np.argsort(ids)
        self.ids = ids[order]
        self.values = np.asarray(values, dtype=np.int64)[order]

    def positions(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        if not len(self.ids):
            return np.full(len(ids), -1, dtype=np.int64)
        where = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        return np.where(self.ids[where] == ids, self.values[where], -1)
