"""From a worry to candidate answers, each with named signals computed exactly for it.

Each source returns its own top candidates, and only their union is scored:
- the question views (title, body, and title + body as one text): the nearest questions in each
  view's vector store;
- the passages (every answer is split into passages, so nothing past the model's window is lost):
  the nearest passages in the passage store;
- BM25 over questions and over answers (an inverted-index top-k: work in proportion to the query
  words' postings, not to the corpus; retriever/lexical.py).
Then every candidate gets every signal exactly, whichever source found it: its question's cosine
per view and its best and mean passage cosine (scored by id by the stores: FAISS reads the
vectors, Milvus scores them in the engine), BM25 of its question and of its text, and a few facts
about it (upvotes, length, how many answers its question has, whether the worry's subject matches
the question's), read from the index's mapped tables (index/tables.py) for the candidates only. The fusion
(fusion.py) turns these named signals into one score; training (scripts/train_ranker.py) reads
exactly the same ones. Nothing here walks every answer or question of the index.

Topic filters are applied inside the sources (the stores' id selectors or filter expressions, the
BM25 candidates' topic bits), never by scoring the whole corpus and masking it.

On a large index (PARALLEL_MIN_ANSWERS) the sources, and then the candidates' cosines and BM25
scores, run side by side (retriever/parallel.py), and a search may start its BM25 before its query
is encoded (`lexical_ahead`): the same numbers, computed at the same time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from index.loader import LoadedIndex
from index.subject import subject_of
from index.tables import has_any, lookup_positions
from index.bm25 import tokenize
from retriever.lexical import DocFilter, LexicalIndex
from retriever.parallel import Pending, in_parallel, in_turn
from retriever.sets import distinct_of

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
VIEW_ORDER = ("combined", "title", "body")  # rows of the question cosines: q_combined, q_title, q_body
# From this many answers on, a query's sources run side by side (retriever/parallel.py): each takes
# milliseconds there, against a fraction of one at CounselChat size, where a hand-off costs more.
PARALLEL_MIN_ANSWERS = 100_000


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
    _per_question: dict = field(default_factory=dict, repr=False, compare=False)  # names -> per_question's result

    def matrix(self, names: Sequence[str] = SIGNALS) -> np.ndarray:
        """(candidates, len(names)) float64: the signals in `names` order."""
        return np.column_stack([self.values[n] for n in names]) if len(self.positions) else np.zeros((0, len(names)))

    def per_question(self, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(distinct questions, len(names) + 1) and each candidate's row in it: per question the
        highest value of each signal over its candidate answers, then log(1 + its candidate answers).
        Relevance was judged per question: a model scores questions, not answer counts. Computed once
        per candidate set and set of names (fusion and confidence both read it)."""
        key = tuple(names)
        if key not in self._per_question:
            unique, inverse = np.unique(self.questions, return_inverse=True)
            values = self.matrix(names)
            if len(values):
                order = np.argsort(inverse, kind="stable")
                starts = np.searchsorted(inverse[order], np.arange(len(unique)))
                table = np.maximum.reduceat(values[order], starts, axis=0)
            else:
                table = np.full((0, len(names)), -np.inf)
            counts = np.bincount(inverse, minlength=len(unique)).astype(np.float64)
            self._per_question[key] = (np.column_stack([table, np.log1p(counts)]), inverse)
        return self._per_question[key]


@dataclass(frozen=True)
class LexicalHits:
    """BM25's part of a worry: its words as each lexicon's token ids, and the best questions and answers."""

    question_tokens: list[int]
    answer_tokens: list[int]
    questions: np.ndarray
    answers: np.ndarray


@dataclass(frozen=True)
class LexicalAhead:
    """BM25 of a worry started before its vector is known (`SignalExtractor.lexical_ahead`)."""

    query: str
    topics: tuple[str, ...] | None
    pending: Pending


@dataclass(frozen=True)
class QueryFilter:
    """What a query may return: `topics` (inside every store and BM25), and/or only the answers of
    `questions` (sorted question positions: a crisis situation's, retriever/crisis_retrieval.py)."""

    topics: Sequence[str] | None
    questions: np.ndarray | None
    question_ok: DocFilter | None  # question positions -> allowed (None: all)
    answer_ok: DocFilter | None  # answer positions -> allowed (None: all)


class SignalExtractor:
    """Candidate generation and signals for one loaded index; immutable, safe across threads."""

    def __init__(self, index: LoadedIndex, counts: CandidateCounts = CandidateCounts(), *,
                 parallel: bool | None = None):
        self.index = index
        self.counts = counts
        self.tables = tables = index.tables
        # the same results either way; None: side by side from PARALLEL_MIN_ANSWERS answers on
        self.parallel = tables.answers >= PARALLEL_MIN_ANSWERS if parallel is None else parallel
        self._run = in_parallel if self.parallel else in_turn
        self.answer_question = tables.answer_question
        self.question_lexical = LexicalIndex(postings=index.postings("questions"))
        self.answer_lexical = LexicalIndex(postings=index.postings("answers"))
        self.prior, self.length = tables.answer_prior, tables.answer_length
        self.question_answers = tables.question_answer_count
        self.question_subject = tables.question_subject
        views = index.view_stores  # an index without views matches title + body for all three
        self.view_stores = [index.question_store] + ([views["title"], views["body"]] if views else
                                                     [index.question_store, index.question_store])

    def query_filter(self, topics: Sequence[str] | None, only_questions: np.ndarray | None) -> QueryFilter:
        tables = self.tables
        bits = tables.topic_bits(topics) if topics else None
        if topics and bits is None:  # only unknown topics: nothing may be returned
            return QueryFilter(topics, only_questions, lambda q: np.zeros(len(q), bool), lambda a: np.zeros(len(a), bool))
        allowed = None if only_questions is None else np.asarray(only_questions, dtype=np.int64)

        def question_ok(q: np.ndarray) -> np.ndarray:
            keep = np.ones(len(q), bool) if bits is None else has_any(tables.question_topics[q], bits)
            return keep if allowed is None else keep & np.isin(q, allowed)

        def answer_ok(a: np.ndarray) -> np.ndarray:
            keep = np.ones(len(a), bool) if bits is None else has_any(tables.answer_topics[a], bits)
            return keep if allowed is None else keep & np.isin(self.answer_question[a], allowed)

        if bits is None and allowed is None:
            return QueryFilter(None, None, None, None)
        return QueryFilter(topics, allowed, question_ok, answer_ok)

    def lexical_ahead(self, query: str, topics: Sequence[str] | None = None) -> LexicalAhead | None:
        """BM25 of `query` started now, on a helper thread, while the caller encodes it (BM25 needs only
        the words): for `candidates` of the same query and topics. None when sources run in turn."""
        if not self.parallel:
            return None
        where = self.query_filter(topics, None)
        return LexicalAhead(query, tuple(topics) if topics else None, Pending(lambda: self._lexical_hits(query, where)))

    def candidates(self, query: str, vector: np.ndarray, topics: Sequence[str] | None = None,
                   only_questions: np.ndarray | None = None, *, ahead: LexicalAhead | None = None) -> Candidates:
        """Every answer a source retrieved for the worry, with all its signals.

        `only_questions` (sorted question positions) restricts every source to the answers of those
        questions, e.g. the questions of one crisis situation (retriever/crisis_retrieval.py).
        `ahead`: BM25 already started for this query and these topics (used only if it is for them).
        """
        vector = np.asarray(vector, dtype=np.float32)
        where = self.query_filter(topics, only_questions)
        if ahead is not None and (only_questions is not None or ahead.query != query
                                  or ahead.topics != (tuple(topics) if topics else None)):
            ahead.pending.cancel()
            ahead = None
        if ahead is None:
            chosen, best_passage, lexical = self._run(
                lambda: self._question_hits(vector, where), lambda: self._passage_hits(vector, where),
                lambda: self._lexical_hits(query, where))
        else:
            chosen, best_passage = self._run(lambda: self._question_hits(vector, where),
                                             lambda: self._passage_hits(vector, where))
            lexical = ahead.pending.result()
        questions = distinct_of(*chosen, lexical.questions)
        from_questions = self.tables.answers_of_questions(questions)
        positions = distinct_of(from_questions, lexical.answers,
                                np.fromiter(best_passage, dtype=np.int64, count=len(best_passage)))
        if where.answer_ok is not None:
            positions = positions[where.answer_ok(positions)]
        signals = self.signals(query, vector, positions, best_passage, lexical.question_tokens, lexical.answer_tokens)
        return Candidates(positions, signals, best_passage, self.answer_question[positions])

    def _question_hits(self, vector: np.ndarray, where: QueryFilter) -> list[np.ndarray]:
        """The nearest questions (positions) of each view store, inside the filter."""
        ids = None if where.questions is None else np.asarray(self.tables.question_vector_id)[where.questions]
        found, seen = [], {}
        for store in self.view_stores:
            if id(store) not in seen:
                _, hits = store.search(vector, self.counts.questions, where.topics or None, ids=ids)
                positions = lookup_positions(self.tables.question_lookup_ids, self.tables.question_lookup_position,
                                             hits[0])
                seen[id(store)] = positions[positions >= 0]
            found.append(seen[id(store)])
        return found

    def _lexical_hits(self, query: str, where: QueryFilter) -> LexicalHits:
        """The worry's tokens and BM25's best questions and best answers (positions), inside the filter."""
        words = tokenize(query)
        lexical_q, lexical_a = self.question_lexical.tokens(words), self.answer_lexical.tokens(words)
        questions, _ = self.question_lexical.top(lexical_q, self.counts.lexical, where.question_ok)
        answers, _ = self.answer_lexical.top(lexical_a, self.counts.lexical, where.answer_ok)
        return LexicalHits(lexical_q, lexical_a, questions, answers)

    def _passage_hits(self, vector: np.ndarray, where: QueryFilter) -> dict[int, tuple[int, float]]:
        """{answer position: (its best retrieved passage id, cosine)} from the passage store's top hits."""
        scores, ids = self.index.passage_store.search(vector, self.counts.passages, where.topics or None)
        owners = lookup_positions(self.tables.passage_lookup_ids, self.tables.passage_lookup_owner, ids[0])
        known = owners >= 0
        if where.answer_ok is not None:
            known[known] = where.answer_ok(owners[known])
        owners, ids, scores = owners[known], ids[0][known], scores[0][known]
        _, first = np.unique(owners, return_index=True)  # best first: the first hit of an answer is its best
        first.sort()
        return dict(zip(owners[first].tolist(), zip(ids[first].tolist(), scores[first].astype(np.float64).tolist())))

    def signals(self, query: str, vector: np.ndarray, positions: np.ndarray,
                best_passage: dict[int, tuple[int, float]], lexical_q: list[int], lexical_a: list[int],
                question_scores: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Every signal of the candidates at `positions` (ascending); `question_scores` (3, questions):
        the worry's cosines to every question view when a full scan has them (retriever/exact.py)."""
        questions = self.answer_question[positions]
        q_views, (a_best, a_mean), (bm25_q, bm25_a) = self._run(
            lambda: (self.question_cosines(vector, questions) if question_scores is None
                     else question_scores[:, questions]).astype(np.float64),
            lambda: self._passage_cosines(vector, positions, best_passage),
            lambda: (self.question_lexical.scores_of(lexical_q, questions).astype(np.float64),
                     self.answer_lexical.scores_of(lexical_a, positions).astype(np.float64)))
        worry_subject = subject_of(query)
        q_best = q_views.max(axis=0) if len(positions) else np.zeros(0)
        values = {
            "q_combined": q_views[0], "q_title": q_views[1], "q_body": q_views[2], "q_best": q_best,
            "a_best": a_best, "a_mean": a_mean,
            "bm25_q": bm25_q / max(bm25_q.max(initial=0.0), 1e-9), "bm25_a": bm25_a / max(bm25_a.max(initial=0.0), 1e-9),
            "bm25_q_log": np.log1p(bm25_q), "bm25_a_log": np.log1p(bm25_a),
            "prior": np.asarray(self.prior[positions]), "a_length": np.asarray(self.length[positions]),
            "q_answers": np.asarray(self.question_answers[questions]),
            "subject_named": np.full(len(positions), float(worry_subject != "self")),
            "subject_match": (np.asarray(self.question_subject[questions])
                              == self.tables.subject_code(worry_subject)).astype(np.float64),
            "q_best_gap": q_best - q_best.max(initial=0.0), "a_best_gap": a_best - a_best.max(initial=0.0),
            "query_words": np.full(len(positions), math.log1p(len(query.split()))),
        }
        return {name: values[name] for name in SIGNALS}

    def question_cosines(self, vector: np.ndarray, questions: np.ndarray) -> np.ndarray:
        """(3, len(questions)) float32: the worry's cosine to each question's combined, title and body
        vectors (scored by id by each view store, once per distinct question)."""
        unique, back = np.unique(questions, return_inverse=True)
        ids = np.asarray(self.tables.question_vector_id)[unique]
        rows, done = [], {}
        for store in self.view_stores:
            if id(store) not in done:
                done[id(store)] = store.cosines(vector, ids) if len(ids) else np.zeros(0, np.float32)
            rows.append(done[id(store)][back])
        return np.stack(rows) if len(questions) else np.zeros((3, 0), np.float32)

    def passage_cosines(self, vector: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """The worry's cosine to each of these passages, by their store (the reference in
        retriever/exact.py scores exact vectors)."""
        return self.index.passage_store.cosines(vector, ids)

    def _passage_cosines(self, vector: np.ndarray, positions: np.ndarray,
                         best_passage: dict[int, tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Best and mean cosine of the worry to each candidate's passages (their vectors fetched by id);
        the best passage of a candidate no passage hit found becomes its highlight."""
        ids, counts = self.tables.passages_of(positions)
        if not len(ids):
            return np.zeros(len(positions)), np.zeros(len(positions))
        cosines = self.passage_cosines(vector, ids)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        safe = np.maximum(counts, 1)
        clipped = np.minimum(starts, len(cosines) - 1)
        top = np.maximum.reduceat(cosines, clipped)
        best = top.astype(np.float64)
        mean = np.add.reduceat(cosines, clipped).astype(np.float64) / safe
        best[counts == 0], mean[counts == 0] = 0.0, 0.0
        # an answer's best passage is also its highlight: the first passage at its maximum (np.argmax's choice)
        segment = np.repeat(np.arange(len(positions)), counts)
        at_max = np.flatnonzero(cosines == top[segment])
        first = at_max[np.concatenate([[True], segment[at_max][1:] != segment[at_max][:-1]])] if len(at_max) else at_max
        owners = np.asarray(positions)[segment[first]]
        missing = ~np.isin(owners, np.fromiter(best_passage, dtype=np.int64, count=len(best_passage)))
        best_passage.update(zip(owners[missing].tolist(),
                                zip(ids[first[missing]].tolist(), cosines[first[missing]].astype(np.float64).tolist())))
        return best, mean
