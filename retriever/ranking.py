"""The ranker: from a worry to ranked therapist answers.

1. Candidates and their named signals (signals.py): each source (question views, passages, BM25 on
   questions and on answers) returns its own best candidates, and every candidate gets every signal
   exactly.
2. Fusion (fusion.py): by default a logistic model learned from the project's judged worries
   (`learned`), whose output is also each answer's calibrated `confidence`; round 1's hand weights
   (`weighted`) and reciprocal-rank fusion (`rrf`) stay as named baselines.
3. Order: best first (equal scores: by answer id); the answers to one question stay together, in
   the order of the question's best answer; repeated texts are dropped; answers carrying an excluded
   tag (lethal means, for a crisis query: retriever/crisis_retrieval.py) are left out.
4. Each result carries the passage of its answer closest to the worry (`highlight`); the response is
   `low_confidence` when even the best result is unlikely to fit.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from index.corpus import Answer
from index.loader import LoadedIndex
from index.passages import Passage
from index.tables import has_any
from retriever.confidence import ConfidenceModel
from retriever.fusion import DEFAULT_MODEL_FILE, FUSIONS, LearnedModel
from retriever.signals import SIGNALS, CandidateCounts, Candidates, LexicalAhead, SignalExtractor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RankingConfig:
    """The ranker's choices; the defaults are what was measured best (README "Ranking")."""

    fusion: str = "learned"  # learned | weighted | rrf (fusion.py)
    model_file: str | None = None  # the learned model; None = the packaged retriever/data/ranker.json
    group_by_question: bool = True
    question_candidates: int = 100
    passage_candidates: int = 400
    lexical_candidates: int = 50
    confidence_threshold: float | None = None  # None = the learned model's own (chosen on its training folds)

    def __post_init__(self) -> None:
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}, not {self.fusion!r}")
        if min(self.question_candidates, self.passage_candidates) < 1 or self.lexical_candidates < 0:
            raise ValueError("candidate counts must be positive (lexical may be 0)")
        if self.confidence_threshold is not None and not 0 <= self.confidence_threshold <= 1:
            raise ValueError("confidence_threshold must be between 0 and 1")

    @property
    def counts(self) -> CandidateCounts:
        return CandidateCounts(self.question_candidates, self.passage_candidates, self.lexical_candidates)

    def describe(self) -> str:
        return (f"fusion={self.fusion}; group_by_question={self.group_by_question}; candidates "
                f"q{self.question_candidates}/p{self.passage_candidates}/lex{self.lexical_candidates}")


@dataclass
class RankedAnswer:
    answer: Answer
    score: float
    signals: dict[str, float]
    highlight: Passage | None = None
    highlight_score: float = 0.0
    confidence: float = 0.0  # calibrated P(this answer fits the worry)


@dataclass
class Ranking:
    results: list[RankedAnswer]
    candidates: int
    timings_ms: dict[str, float] = field(default_factory=dict)
    low_confidence: bool = False  # even the best result is a poor match (or there is none)
    positions: np.ndarray | None = None  # every candidate's answer position: the matching set (facets.py)


class Ranker:
    """Ranks the answers of one loaded index; immutable once built, so it is safe across threads."""

    def __init__(self, index: LoadedIndex, config: RankingConfig = RankingConfig(),
                 model: LearnedModel | None = None, *, extractor: SignalExtractor | None = None):
        self.index = index
        self.config = config
        self.answers = index.answers  # read from the catalog for the results only
        self.extractor = extractor if extractor is not None else SignalExtractor(index, config.counts)
        self.model = model if model is not None else (
            LearnedModel.load(Path(config.model_file) if config.model_file else DEFAULT_MODEL_FILE)
            if config.fusion == "learned" else None)
        self.fallback_confidence = ConfidenceModel()  # for the baselines: a logistic of the best cosine
        self.threshold = (config.confidence_threshold if config.confidence_threshold is not None
                          else self.model.confidence_threshold if self.model is not None
                          else self.fallback_confidence.threshold)
        tables = index.tables
        self.id_order = tables.answer_id_rank  # ties in score: answer id decides
        self.same_text_rank = tables.answer_text_key  # equal texts, equal key
        # index-time tag -> sorted positions of its questions (views of the mapped table)
        self.questions_by_flag: dict[str, np.ndarray] = {flag: tables.questions_with_flag(flag)
                                                         for flag in tables.names["flags"]}

    @property
    def answer_question(self) -> np.ndarray:
        return self.extractor.answer_question

    def rank(self, query: str, query_vector: np.ndarray, k: int, topics: Sequence[str] | None = None,
             *, exclude_flags: Sequence[str] = (), only_questions: np.ndarray | None = None,
             per_question: int | None = None, lexical_ahead: LexicalAhead | None = None) -> Ranking:
        """The top `k` answers for `query` (whose embedding is `query_vector`).

        Answers carrying any of `exclude_flags` (index-time tags: lethal means, for a crisis) are left out.
        `only_questions` limits the search to those question positions (crisis-aware retrieval).
        With `per_question`, `k` counts questions and each contributes at most that many answers.
        `lexical_ahead`: BM25 started while the query was encoded (`SignalExtractor.lexical_ahead`).
        """
        started = time.perf_counter()
        candidates = self.extractor.candidates(query, query_vector, topics, only_questions, ahead=lexical_ahead)
        extracted = time.perf_counter()
        fused = self.fuse(candidates)
        confidences = self.confidences(candidates, fused)
        picked = self.pick(candidates, fused, k, per_question, exclude_flags)
        positions = [int(candidates.positions[i]) for i in picked]
        hits = [candidates.best_passage.get(position) for position in positions]
        passages = dict(zip((h[0] for h in hits if h), self.index.catalog.passages_by_id([h[0] for h in hits if h])))
        results = []
        for i, position, answer, hit in zip(picked, positions, self.answers.at(positions), hits):
            result = RankedAnswer(answer, float(fused[i]), {name: float(candidates.values[name][i]) for name in SIGNALS},
                                  confidence=float(confidences[i]))
            if hit is not None:
                result.highlight, result.highlight_score = passages[hit[0]], hit[1]
            results.append(result)
        best = max((r.confidence for r in results), default=None)
        return Ranking(results, len(candidates.positions),
                       {"candidates": (extracted - started) * 1000},
                       low_confidence=best is None or best < self.threshold, positions=candidates.positions)

    def fuse(self, candidates: Candidates) -> np.ndarray:
        """One score per candidate by the configured fusion mode."""
        if self.model is not None:
            return FUSIONS["learned"](candidates, self.model)
        return FUSIONS[self.config.fusion](candidates)

    def confidences(self, candidates: Candidates, fused: np.ndarray) -> np.ndarray:
        """Calibrated P(fits): the learned model's probability, or the baselines' cosine logistic."""
        if self.model is not None:
            return self.model.probabilities(candidates)
        evidence = np.maximum(candidates.values["q_best"], candidates.values["a_best"])
        return np.array([self.fallback_confidence.confidence(float(e)) for e in evidence])

    def pick(self, candidates: Candidates, fused: np.ndarray, k: int, per_question: int | None = None,
             exclude_flags: Sequence[str] = ()) -> list[int]:
        """Indices into `candidates` of the results, in order (pure: training and evaluation call it too)."""
        order = self._order(candidates.positions, fused)
        bits = self.index.tables.flag_bits(exclude_flags) if exclude_flags else None
        if bits is not None:
            flagged = has_any(self.index.tables.answer_flags[candidates.positions], bits)
            order = [i for i in order if not flagged[i]]
        texts = np.asarray(self.same_text_rank[candidates.positions]).tolist()
        question_of = np.asarray(self.answer_question[candidates.positions]).tolist()
        picked, seen_texts, per = [], set(), {}
        for i in order:
            if texts[i] in seen_texts:
                continue
            question = question_of[i]
            if per_question is not None:
                if per.get(question, 0) >= per_question:
                    continue
                if question not in per and len(per) == k:
                    continue
            seen_texts.add(texts[i])
            per[question] = per.get(question, 0) + 1
            picked.append(i)
            if per_question is None and len(picked) == k:
                break
        return picked

    def _order(self, positions: np.ndarray, fused: np.ndarray) -> list[int]:
        """Best first (equal scores: by answer id); with grouping, all answers of a question follow its best one."""
        by_score = np.lexsort((self.id_order[positions], -fused))
        if self.config.group_by_question:
            questions = self.answer_question[positions[by_score]]
            _, first_seen, group = np.unique(questions, return_index=True, return_inverse=True)
            by_score = by_score[np.argsort(first_seen[group], kind="stable")]
        return by_score.tolist()
