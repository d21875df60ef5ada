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
    best_passage: dict[int, tuple[int, float]] = field(default_factory=dict)  # answer position -> (passage id, cosine)
    questions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # each candidate's question position

    def matrix(self, names: Sequence[str] = SIGNALS) -> np.ndarray:
        """(candidates, len(names)) float64: the signals in `names` order."""
        return np.column_stack([self.values[n] for n in names]) if len(self.positions) else np.zeros((0, len(names)))

    def per_question(self, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(distinct questions, len(names) + 1) and each candidate's row in it: per question the
        highest value of each signal over its candidate answers, then log(1 + its candidate answers).
        Relevance was judged per question: a model scores questions, not answer counts."""
        unique, inverse = np.unique(self.questions, return_inverse=True)
        values = self.matrix(names)
        table = np.full((len(unique), len(names)), -np.inf)
        np.maximum.at(table, inverse, values)
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
        lexical_questions, _ = self.question_lexical.top(query, self.counts.lexical, allowed_questions)
        lexical_answers, _ = self.answer_lexical.top(query, self.counts.lexical, allowed_answers)
        best_passage = self._passage_hits(vector, topics, allowed_answers)
        questions = np.unique(np.concatenate([*chosen_questions, lexical_questions]))
        from_questions = np.flatnonzero(np.isin(self.answer_question, questions))
        positions = np.unique(np.concatenate([from_questions, lexical_answers,
                                              np.fromiter(best_passage, dtype=np.int64, count=len(best_passage))]))
        if allowed_answers is not None:
            positions = np.intersect1d(positions, allowed_answers)
        return Candidates(positions, self._signals(query, vector, positions, view_scores, best_passage), best_passage,
                          self.answer_question[positions])

    def _top(self, scores: np.ndarray, k: int, allowed: np.ndarray | None) -> np.ndarray:
        if allowed is not None:
            scores = scores[allowed]
        k = min(k, len(scores))
        if not k:
            return np.zeros(0, np.int64)
        part = np.argpartition(-scores, k - 1)[:k]
        return part if allowed is None else allowed[part]

    def _passage_hits(self, vector: np.ndarray, topics, allowed_answers) -> dict[int, tuple[int, float]]:
        """{answer position: (its best retrieved passage id, cosine)} from the passage store's top hits."""
        scores, ids = self.index.passage_store.search(vector, self.counts.passages, topics or None)
        owners = self.passage_owner.positions(ids[0])
        hits: dict[int, tuple[int, float]] = {}
        for owner, pid, score in zip(owners.tolist(), ids[0].tolist(), scores[0].tolist()):
            if owner >= 0 and owner not in hits:  # best first: the first hit of an answer is its best
                hits[owner] = (pid, float(score))
        if allowed_answers is not None:
            keep = set(allowed_answers.tolist())
            hits = {a: hit for a, hit in hits.items() if a in keep}
        return hits

    def _signals(self, query: str, vector: np.ndarray, positions: np.ndarray, view_scores: np.ndarray,
                 best_passage: dict[int, tuple[int, float]]) -> dict[str, np.ndarray]:
        questions = self.answer_question[positions]
        q_views = view_scores[:, questions].astype(np.float64)
        a_best, a_mean = self._passage_cosines(vector, positions, best_passage)
        bm25_q = self.question_lexical.scores_of(query, questions).astype(np.float64)
        bm25_a = self.answer_lexical.scores_of(query, positions).astype(np.float64)
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
        return {name: values[name] for name in SIGNALS}

    def _passage_cosines(self, vector: np.ndarray, positions: np.ndarray,
                         best_passage: dict[int, tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Best and mean cosine of the worry to each candidate's passages (their vectors fetched by id)."""
        counts = np.array([len(self.passages_of[p]) for p in positions], dtype=np.int64)
        ids = np.concatenate([self.passages_of[p] for p in positions]) if len(positions) else np.zeros(0, np.int64)
        if not len(ids):
            return np.zeros(len(positions)), np.zeros(len(positions))
        cosines = np.asarray(self.index.passage_store.get_vectors(ids), dtype=np.float32) @ vector
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        safe = np.maximum(counts, 1)
        best = np.maximum.reduceat(cosines, np.minimum(starts, len(cosines) - 1)).astype(np.float64)
        mean = np.add.reduceat(cosines, np.minimum(starts, len(cosines) - 1)).astype(np.float64) / safe
        best[counts == 0], mean[counts == 0] = 0.0, 0.0
        for j, position in enumerate(positions.tolist()):  # an answer's best passage is also its highlight
            if position not in best_passage and counts[j]:
                segment = cosines[starts[j]:starts[j] + counts[j]]
                best_passage[position] = (int(self.passages_of[position][int(np.argmax(segment))]), float(segment.max()))
        return best, mean




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
