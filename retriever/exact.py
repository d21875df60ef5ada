"""The reference ranking: every source by a full scan of the corpus, exact vectors, the same signals.

What the sublinear path (signals.py: nearest-neighbour stores, inverted-index BM25) is measured
against. Each source scores everything: one matrix product over every question view's vectors and
over every passage vector, BM25 over every document holding a query word; top candidates are cut
from those full score arrays, and signals are computed from exact (float32) vectors. This is how
the ranker computed its candidates before the stores took over, so at CounselChat size (exact flat
stores) both must rank the same (tests/corpus/test_exact_rankings.py); at scale, approximate stores
trade a little recall (benchmarks/bench_scale.py reports recall@10 of the ranker against this).

Work and memory are in proportion to the corpus: tests and benchmarks only, never the service.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from index.bm25 import tokenize
from index.loader import LoadedIndex
from index.tables import lookup_positions
from retriever.sets import distinct_of
from retriever.signals import CandidateCounts, Candidates, LexicalAhead, SignalExtractor


class FullScanExtractor(SignalExtractor):
    """`SignalExtractor` with every source scanned in full. `question_vectors` (3, questions, dim:
    combined, title, body, in question order) and `passage_vectors` (one row per id of `passage_ids`,
    in any order) are the exact vectors; by default read from the stores (exact when they are flat)."""

    def __init__(self, index: LoadedIndex, counts: CandidateCounts = CandidateCounts(), *,
                 question_vectors: np.ndarray | None = None, passage_vectors: np.ndarray | None = None,
                 passage_ids: np.ndarray | None = None):
        super().__init__(index, counts)
        tables = self.tables
        if question_vectors is None:
            ids = np.asarray(tables.question_vector_id)
            question_vectors = np.stack([np.asarray(store.get_vectors(ids), dtype=np.float32)
                                         for store in self.view_stores])
        if passage_vectors is None:
            passage_ids = np.asarray(tables.passage_lookup_ids)
            passage_vectors = np.asarray(index.passage_store.get_vectors(passage_ids), dtype=np.float32)
        self.question_matrix = question_vectors
        self.passage_matrix = passage_vectors
        self.row_ids = np.asarray(passage_ids, dtype=np.int64)  # the passage id of each row
        order = np.argsort(self.row_ids)
        self.sorted_ids, self.sorted_rows = self.row_ids[order], order
        self.row_owner = lookup_positions(tables.passage_lookup_ids, tables.passage_lookup_owner, self.row_ids)

    def passage_cosines(self, vector: np.ndarray, ids: np.ndarray) -> np.ndarray:
        return self.passage_matrix[lookup_positions(self.sorted_ids, self.sorted_rows, ids)] @ vector

    def candidates(self, query: str, vector: np.ndarray, topics: Sequence[str] | None = None,
                   only_questions: np.ndarray | None = None, *, ahead: LexicalAhead | None = None) -> Candidates:
        if ahead is not None:  # the full scan computes its own BM25
            ahead.pending.cancel()
        vector = np.asarray(vector, dtype=np.float32)
        where = self.query_filter(topics, only_questions)
        tables = self.tables
        allowed_questions = allowed_answers = None
        if where.question_ok is not None:
            everything = np.arange(tables.questions, dtype=np.int64)
            allowed_questions = everything[where.question_ok(everything)]
            every_answer = np.arange(tables.answers, dtype=np.int64)
            allowed_answers = every_answer[where.answer_ok(every_answer)]
        view_scores = self.question_matrix @ vector  # (views, questions)
        chosen = [_top(view_scores[v], self.counts.questions, allowed_questions) for v in range(len(view_scores))]
        words = tokenize(query)
        lexical_q, lexical_a = self.question_lexical.tokens(words), self.answer_lexical.tokens(words)
        lexical_questions, _ = self.question_lexical.top(lexical_q, self.counts.lexical, allowed_questions, whole=True)
        lexical_answers, _ = self.answer_lexical.top(lexical_a, self.counts.lexical, allowed_answers, whole=True)
        best_passage = self._passage_scan(vector, topics, allowed_answers)
        questions = distinct_of(*chosen, lexical_questions)
        from_questions = tables.answers_of_questions(questions)
        positions = distinct_of(from_questions, lexical_answers,
                                np.fromiter(best_passage, dtype=np.int64, count=len(best_passage)))
        if allowed_answers is not None:
            positions = np.intersect1d(positions, allowed_answers)
        signals = self.signals(query, vector, positions, best_passage, lexical_q, lexical_a, question_scores=view_scores)
        return Candidates(positions, signals, best_passage, self.answer_question[positions])

    def _passage_scan(self, vector: np.ndarray, topics: Sequence[str] | None,
                      allowed_answers: np.ndarray | None) -> dict[int, tuple[int, float]]:
        """The best passages of all by one matrix product (topic-filtered like the store), best first per answer."""
        scores = self.passage_matrix @ vector
        owners = self.row_owner
        if topics:
            bits = self.tables.topic_bits(topics)
            keep = np.zeros(len(owners), bool) if bits is None else \
                (np.asarray(self.tables.answer_topics)[owners] & bits).any(axis=1)
            scores = np.where(keep, scores, -np.inf)
        rows = _top(scores, self.counts.passages, None)
        rows = rows[np.isfinite(scores[rows])]
        rows = rows[np.lexsort((self.row_ids[rows], -scores[rows]))]
        allowed = None if allowed_answers is None else set(allowed_answers.tolist())
        hits: dict[int, tuple[int, float]] = {}
        for row in rows.tolist():
            owner = int(owners[row])
            if owner not in hits and (allowed is None or owner in allowed):
                hits[owner] = (int(self.row_ids[row]), float(scores[row]))
        return hits


def _top(scores: np.ndarray, k: int, allowed: np.ndarray | None) -> np.ndarray:
    """Positions of the k highest scores (among `allowed` positions when given), by a full partition."""
    if allowed is not None:
        scores = scores[allowed]
    k = min(k, len(scores))
    if not k:
        return np.zeros(0, np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part if allowed is None else allowed[part]
