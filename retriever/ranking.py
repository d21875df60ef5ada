"""The ranker: from a worry to ranked therapist answers.

Signals, each switchable by its weight in `RankingConfig`:
- question_dense: cosine of the worry to the question the answer was written for. The question is
  matched as several views (`question_views`: its title alone, its body alone, title + body) and
  the closest view counts: a worry is short like a title, and a long body dilutes a title + body
  vector (measured in README "Ranking");
- answer_dense: best cosine of the worry to any passage of the answer (long answers are split, so
  nothing past the model's window is ignored), blended with the mean cosine over all its passages
  (`answer_passage_mean`): an answer about the worry throughout beats one that touches it once;
- question_lexical / answer_lexical: BM25 of the worry against the question and the answer text;
- prior: log upvotes, a small nudge that never outranks relevance.
Candidates come from every signal, missing dense scores are filled with the lowest score that
signal returned, and the weighted sum decides. Answers are grouped under their question (the page
and chatbots read them as "what therapists answered to X"), and repeated texts are dropped.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from index.corpus import Answer
from index.loader import QUESTION_VIEWS, LoadedIndex
from index.passages import Passage
from retriever.confidence import ConfidenceModel, evidence_of
from retriever.fusion import max_normalize, reciprocal_rank_fusion, weighted_sum
from retriever.lexical import LexicalIndex

log = logging.getLogger(__name__)

SIGNALS = ("question_dense", "answer_dense", "question_lexical", "answer_lexical", "prior")
FUSIONS = ("weighted", "rrf")
COMBINED_VIEW = "combined"  # title + body as one text: the question store's vectors
VIEWS = (COMBINED_VIEW, *QUESTION_VIEWS)


@dataclass(frozen=True)
class RankingConfig:
    """The ranker's choices; the defaults are the best combination measured (README "Evaluation")."""

    question_dense: float = 1.0
    question_views: str = "title,body"  # comma-separated VIEWS; the worry's best cosine among them counts
    answer_dense: float = 0.25
    answer_passage_mean: float = 0.3  # answer_dense = (best passage + this x mean passage cosine) / (1 + this)
    question_lexical: float = 0.1
    answer_lexical: float = 0.05
    prior: float = 0.01  # upvotes in [0, 1] times this: at most 0.01, a tie-breaker below any real relevance gap
    fusion: str = "weighted"  # or "rrf" (measured worse on both benchmarks)
    group_by_question: bool = True
    question_candidates: int = 100
    passage_candidates: int = 400
    lexical_candidates: int = 50
    confidence_threshold: float = 0.05 # below this for the best result, the response is low_confidence

    def __post_init__(self) -> None:
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}, not {self.fusion!r}")
        if any(getattr(self, name) < 0 for name in (*SIGNALS, "answer_passage_mean")):
            raise ValueError("signal weights must not be negative (0 switches a signal off)")
        if not any(getattr(self, name) for name in SIGNALS[:4]):
            raise ValueError("at least one relevance signal (dense or lexical) must have a positive weight")
        views = self.views()
        if not views or any(v not in VIEWS for v in views):
            raise ValueError(f"question_views must be a comma-separated list of {', '.join(VIEWS)}, "
                             f"not {self.question_views!r}")

    def views(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.strip() for v in self.question_views.split(",") if v.strip()))

    def weights(self) -> list[float]:
        return [getattr(self, name) for name in SIGNALS]

    def describe(self) -> str:
        """A one-line summary for reports: the weights that are on, then the other choices."""
        on = " ".join(f"{name}={getattr(self, name):g}" for name in SIGNALS if getattr(self, name))
        views = f"; question_views={','.join(self.views())}" if self.question_dense else ""
        if self.answer_dense and self.answer_passage_mean:
            views += f"; answer_passage_mean={self.answer_passage_mean:g}"
        return (f"{on}{views}; fusion={self.fusion}; group_by_question={self.group_by_question}; candidates "
                f"q{self.question_candidates}/p{self.passage_candidates}/lex{self.lexical_candidates}")


@dataclass
class RankedAnswer:
    answer: Answer
    score: float
    signals: dict[str, float]
    highlight: Passage | None = None
    highlight_score: float = 0.0
    confidence: float = 0.0  # calibrated P(this answer fits the worry), see retriever/confidence.py


@dataclass
class Ranking:
    results: list[RankedAnswer]
    candidates: int
    timings_ms: dict[str, float] = field(default_factory=dict)
    low_confidence: bool = False  # even the best result is a poor match (or there is none)


class Ranker:
    """Ranks the answers of one loaded index; immutable once built, so it is safe across threads."""

    def __init__(self, index: LoadedIndex, config: RankingConfig = RankingConfig()):
        self.index = index
        self.config = config
        self.answers = index.answers
        self.position = {a.answer_id: i for i, a in enumerate(self.answers)}
        self.question_position = {q.question_id: i for i, q in enumerate(index.questions)}
        self.answer_question = np.array([self.question_position[a.question_id] for a in self.answers])
        self.question_lexical = LexicalIndex([q.embedding_text for q in index.questions])
        self.answer_lexical = LexicalIndex([a.answer for a in self.answers])
        upvotes = np.array([a.upvotes for a in self.answers], dtype=np.float64)
        self.prior = np.log1p(upvotes) / math.log1p(max(upvotes.max(initial=0.0), 1.0))
        self.topic_sets = [set(a.topics) for a in self.answers]
        # Per-query work is numpy over these arrays, not Python loops over candidates (README "Performance").
        self.passage_owner = np.array([self.position[p.answer_id] for p in index.passages], dtype=np.int64)
        self.answer_of_passage = IdLookup([p.passage_id for p in index.passages], self.passage_owner)
        self.question_of_vector = IdLookup([q.vector_id for q in index.questions], np.arange(len(index.questions)))
        self.id_order = _ranks([a.answer_id for a in self.answers])  # ties in score: answer id decides
        self.same_text_rank = _ranks([" ".join(a.answer.lower().split()) for a in self.answers])  # equal texts, equal key
        self.confidence = ConfidenceModel(threshold=config.confidence_threshold)
        self.question_view_vectors = self._question_view_vectors() if config.question_dense else None
        self.answer_mean_vectors = (self._answer_mean_vectors()
                                    if config.answer_dense and config.answer_passage_mean else None)

    def rank(self, query: str, query_vector: np.ndarray, k: int, topics: Sequence[str] | None = None,
             demote_flags: Sequence[str] = ()) -> Ranking:
        """Return the top `k` answers for `query` (whose embedding is `query_vector`).

        Answers carrying any of `demote_flags` (index-time tags) go after every other candidate:
        for a crisis query, answers that mention methods or doses leave the top results.
        """
        cfg = self.config
        topics = list(topics or [])
        allowed = self._allowed(topics)  # once per query: the topic masks are Python loops over every answer
        started = time.perf_counter()
        question_dense, question_hits = self._question_dense(query_vector, topics, allowed[1])
        answer_dense, retrieved, best_passage = self._answer_dense(query_vector, topics)
        vector_search_ms = (time.perf_counter() - started) * 1000

        question_lexical = (max_normalize(self.question_lexical.scores(query) * allowed[1])
                            if cfg.question_lexical else np.zeros(len(self.index.questions)))
        answer_lexical = (max_normalize(self.answer_lexical.scores(query) * allowed[0])
                          if cfg.answer_lexical else np.zeros(len(self.answers)))

        candidates = self._candidates(question_hits, retrieved, question_lexical, answer_lexical, allowed[0])
        signals = [
            question_dense[self.answer_question[candidates]],
            answer_dense[candidates],
            question_lexical[self.answer_question[candidates]],
            answer_lexical[candidates],
            self.prior[candidates],
        ]
        if cfg.fusion == "rrf":
            fused = reciprocal_rank_fusion(signals[:4], cfg.weights()[:4]) + cfg.prior * signals[4] * 1e-3
        else:
            fused = weighted_sum(signals, cfg.weights())
        order = self._order(candidates, fused)
        if demote_flags:
            order = self._demote(candidates, order, set(demote_flags))
        results = []
        seen_texts: set[int] = set()
        for i in order:
            position = int(candidates[i])
            if self.same_text_rank[position] in seen_texts:
                continue
            seen_texts.add(self.same_text_rank[position])
            scores = {name: float(s[i]) for name, s in zip(SIGNALS, signals)}
            results.append(RankedAnswer(self.answers[position], float(fused[i]), scores,
                                        confidence=self.confidence.confidence(evidence_of(scores))))
            if len(results) == k:
                break
        self._highlight(results, query_vector, best_passage)
        best = max((r.confidence for r in results), default=None)
        return Ranking(results, len(candidates), {"vector_search": vector_search_ms},
                       low_confidence=self.confidence.is_low(best))

    def _question_view_vectors(self) -> np.ndarray | None:
        """(views, questions, dimension) for the configured views; None when the store alone serves.

        An index built before title and body were embedded apart has only the combined vectors:
        its questions are then matched as title + body, as before.
        """
        views = self.config.views()
        if views == (COMBINED_VIEW,):
            return None
        stacked = []
        if COMBINED_VIEW in views or self.index.question_views is None:
            if self.index.question_views is None:
                log.warning("index %s has no separate title/body vectors; matching questions as title + body "
                            "(rebuild the index to use question_views=%s)", self.index.manifest.version,
                            self.config.question_views)
            ids = [q.vector_id for q in self.index.questions]
            stacked.append(np.asarray(self.index.question_store.get_vectors(ids), dtype=np.float32))
        if self.index.question_views is not None:
            stacked.extend(self.index.question_views[QUESTION_VIEWS.index(v)] for v in views if v in QUESTION_VIEWS)
        return np.stack(stacked)

    def _question_dense(self, query_vector: np.ndarray, topics: list[str], allowed: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Cosine to every question (unretrieved ones get the lowest retrieved score), and the
        positions of the questions retrieved."""
        size = len(self.index.questions)
        if not self.config.question_dense:
            return np.zeros(size), np.zeros(0, dtype=np.int64)
        if self.question_view_vectors is not None:
            return self._question_views_dense(query_vector, topics, allowed)
        scores, vids = self.index.question_store.search(query_vector, self.config.question_candidates, topics)
        valid = vids[0] >= 0
        hits = self.question_of_vector.positions(vids[0][valid])
        filled = np.full(size, float(scores[0][valid].min()) if valid.any() else 0.0, dtype=np.float64)
        filled[hits] = scores[0][valid]
        return filled, hits

    def _question_views_dense(self, query_vector: np.ndarray, topics: list[str], allowed: np.ndarray
                              ) -> tuple[np.ndarray, np.ndarray]:
        """Exact best-view cosine to every question, and the positions of the best allowed ones
        (`allowed`: the 0/1 topic mask over questions).

        One matrix product over views x questions (824 x 2 for CounselChat: microseconds).
        """
        views, questions, dimension = self.question_view_vectors.shape
        flat = self.question_view_vectors.reshape(views * questions, dimension)  # one product, not one per view
        scores = (flat @ np.asarray(query_vector, dtype=np.float32)).reshape(views, questions).max(axis=0)
        ranked = np.argsort(-scores, kind="stable")
        if topics:
            ranked = ranked[allowed[ranked] > 0]
        return scores.astype(np.float64), ranked[: self.config.question_candidates]

    def _answer_dense(self, query_vector: np.ndarray, topics: list[str]) -> tuple[np.ndarray, np.ndarray, dict]:
        """Best passage cosine per answer (floor-filled like questions), a mask of the answers
        retrieved, and {answer position: (best passage id, its cosine)} for the highlight."""
        size = len(self.answers)
        if not self.config.answer_dense:
            return np.zeros(size), np.zeros(size, dtype=bool), {}
        scores, vids = self.index.passage_store.search(query_vector, self.config.passage_candidates, topics)
        valid = vids[0] >= 0
        scores, vids = scores[0][valid], vids[0][valid]
        owners = self.answer_of_passage.positions(vids)
        # The first hit of each answer in best-first order is its best passage (ties: the store's order).
        by_score = np.argsort(-scores, kind="stable")
        answers, first = np.unique(owners[by_score], return_index=True)
        best = by_score[first]
        answer_dense = np.full(size, float(scores[best].min()) if len(best) else 0.0, dtype=np.float64)
        answer_dense[answers] = scores[best]
        retrieved = np.zeros(size, dtype=bool)
        retrieved[answers] = True
        best_passage = dict(zip(answers.tolist(), zip(vids[best].tolist(), scores[best].tolist())))
        if self.answer_mean_vectors is not None:
            weight = self.config.answer_passage_mean
            mean = self.answer_mean_vectors @ np.asarray(query_vector, dtype=np.float32)  # one BLAS thread: see service
            answer_dense = (answer_dense + weight * mean) / (1.0 + weight)
        return answer_dense, retrieved, best_passage

    def _answer_mean_vectors(self) -> np.ndarray:
        """Per answer, the mean of its passage vectors: its dot with the worry IS the mean passage cosine.

        Read once from the passage store (4,478 vectors for CounselChat), so a query costs one small
        matrix product instead of fetching every candidate's passages.
        """
        vectors = np.asarray(self.index.passage_store.get_vectors([p.passage_id for p in self.index.passages]),
                             dtype=np.float32)
        sums = np.zeros((len(self.answers), vectors.shape[1] if vectors.size else self.index.manifest.dimension),
                        dtype=np.float32)
        counts = np.zeros(len(self.answers), dtype=np.float32)
        if len(self.passage_owner):
            np.add.at(sums, self.passage_owner, vectors)
            np.add.at(counts, self.passage_owner, 1.0)
        return sums / np.maximum(counts, 1.0)[:, None]

    def _allowed(self, topics: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """0/1 masks over answers and questions for a topic filter (all ones without one)."""
        if not topics:
            return np.ones(len(self.answers)), np.ones(len(self.index.questions))
        wanted = set(topics)
        answers = np.array([1.0 if wanted & t else 0.0 for t in self.topic_sets])
        questions = np.array([1.0 if wanted.intersection(q.topics) else 0.0 for q in self.index.questions])
        return answers, questions

    def _candidates(self, question_hits: np.ndarray, retrieved: np.ndarray, question_lexical: np.ndarray,
                    answer_lexical: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        """Positions (ascending) of every allowed answer some signal retrieved: its passages, its
        question (dense), or the top BM25 questions and answers."""
        n = self.config.lexical_candidates
        top_questions = np.argsort(-question_lexical)[:n]
        top_answers = np.argsort(-answer_lexical)[:n]
        questions = np.zeros(len(self.index.questions), dtype=bool)
        questions[question_hits] = True
        questions[top_questions[question_lexical[top_questions] > 0]] = True
        chosen = retrieved | questions[self.answer_question]
        chosen[top_answers[answer_lexical[top_answers] > 0]] = True
        return np.flatnonzero(chosen & (allowed > 0))

    def _order(self, candidates: np.ndarray, fused: np.ndarray) -> list[int]:
        """Best first (equal scores: by answer id); with grouping, all answers of a question follow its best one."""
        by_score = np.lexsort((self.id_order[candidates], -fused))
        if self.config.group_by_question:
            questions = self.answer_question[candidates[by_score]]
            _, first_seen, group = np.unique(questions, return_index=True, return_inverse=True)
            by_score = by_score[np.argsort(first_seen[group], kind="stable")]
        return by_score.tolist()

    def _demote(self, candidates: np.ndarray, order: list[int], flags: set[str]) -> list[int]:
        """Stable partition: untagged answers first, in their order; tagged ones after, in theirs."""
        tagged = [not flags.isdisjoint(self.answers[candidates[i]].flags) for i in order]
        return [i for i, t in zip(order, tagged) if not t] + [i for i, t in zip(order, tagged) if t]

    def _highlight(self, results: list[RankedAnswer], query_vector: np.ndarray, best_passage: dict) -> None:
        """Attach to each result the passage of its answer closest to the worry.

        An answer retrieved through its passages already has its best one (the store returned it);
        only the others read their passage vectors.
        """
        for result in results:
            passages = self.index.passages_by_answer.get(result.answer.answer_id, [])
            if not passages:
                continue
            found = best_passage.get(self.position[result.answer.answer_id])
            if found is not None:
                result.highlight, result.highlight_score = self.index.passage_by_vector[found[0]], found[1]
                continue
            vectors = self.index.passage_store.get_vectors([p.passage_id for p in passages])
            scores = vectors @ query_vector
            best = int(np.argmax(scores))
            result.highlight, result.highlight_score = passages[best], float(scores[best])


class IdLookup:
    """Maps 63-bit vector ids to positions with one `searchsorted`, for whole arrays of ids at once."""

    def __init__(self, ids: Sequence[int], values: np.ndarray):
        ids = np.asarray(ids, dtype=np.int64)
        order = np.argsort(ids)
        self.ids = ids[order]
        self.values = np.asarray(values, dtype=np.int64)[order]

    def positions(self, ids: np.ndarray) -> np.ndarray:
        return self.values[np.searchsorted(self.ids, np.asarray(ids, dtype=np.int64))]


def _ranks(keys: list[str]) -> np.ndarray:
    """Dense rank of each key in sorted order: equal keys get equal ranks."""
    order = {key: rank for rank, key in enumerate(sorted(set(keys)))}
    return np.array([order[key] for key in keys], dtype=np.int64)
