"""Measuring ranking quality and speed through the real search path (`SearchService.search`).

Two benchmarks, each run for the current ranker and for single-signal baselines side by side:
- labelled: worries typed by people, each with the questions whose answers are relevant
  (a TSV: worry, a tab, comma-separated question keys);
- automatic (no hand labels): every question of the corpus (title and body) is a query against the
  ANSWER TEXT only, and the relevant answers are that question's own. The question signals must be
  off here, or the question would simply find itself; grouping by question is off too, because it
  pulls up the siblings of a hit using exactly the label being measured.

Relevance is binary: an answer is relevant when its question is listed. The ideal ranking for
nDCG counts every distinct relevant answer in the corpus (the corpus already merges exact duplicate
answers to the same question into one). Each query is encoded once, timed the way the service does
it (one query per call), and that time is added to every system's search time for the query, so
the latency column is what a person would wait for.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from index.embedding import Embedder
from index.loader import LoadedIndex
from retriever.relevance import hit_at_k, mrr_at_k, ndcg_at_k
from retriever.ranking import RankingConfig
from retriever.safety import SafetyCheck
from retriever.service import QueryLimits, SearchService

CUTOFF = 10
# Queries of the automatic benchmark are whole questions, some longer than a person's worry.
EVALUATION_LIMITS = QueryLimits(max_query_chars=100_000, max_k=CUTOFF)
_OFF = dict(question_dense=0.0, answer_dense=0.0, question_lexical=0.0, answer_lexical=0.0, prior=0.0,
            answer_passage_mean=0.0, group_by_question=False)


@dataclass(frozen=True)
class LabelledQuery:
    text: str
    relevant_questions: frozenset[str]


@dataclass
class SystemScores:
    system: str
    queries: int
    hit_at_1: float
    hit_at_5: float
    mrr_at_10: float
    ndcg_at_10: float
    median_ms: float
    p95_ms: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class BenchmarkReport:
    name: str
    description: str
    systems: list[SystemScores]
    skipped_queries: int = 0

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "skipped_queries": self.skipped_queries,
                "systems": [s.to_dict() for s in self.systems]}


def read_labelled_queries(path: str | Path) -> list[LabelledQuery]:
    """Read `worry<TAB>key,key,...` lines; blank lines and lines starting with # are ignored."""
    queries = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            text, sep, keys = line.rstrip("\n").partition("\t")
            relevant = frozenset(k.strip() for k in keys.split(",") if k.strip())
            if not sep or not text.strip() or not relevant:
                raise ValueError(f"{path}:{number}: expected 'worry<TAB>question-key[,question-key...]'")
            queries.append(LabelledQuery(text.strip(), relevant))
    return queries


def question_queries(index: LoadedIndex) -> list[LabelledQuery]:
    """The automatic benchmark: each question (title and body) is a query for its own answers."""
    return [LabelledQuery(q.embedding_text, frozenset([q.question_id])) for q in index.questions]


def baseline_configs() -> dict[str, RankingConfig]:
    """One signal each: what the ranker is compared against."""
    return {
        "dense answers (foundation)": RankingConfig(**{**_OFF, "answer_dense": 1.0}),
        "dense questions (title + body)": RankingConfig(**{**_OFF, "question_dense": 1.0, "question_views": "combined"}),
        "dense questions (title, body apart)": RankingConfig(**{**_OFF, "question_dense": 1.0,
                                                                "question_views": "title,body"}),
        "BM25 answers": RankingConfig(**{**_OFF, "answer_lexical": 1.0}),
        "BM25 questions": RankingConfig(**{**_OFF, "question_lexical": 1.0}),
    }


def answer_text_only(config: RankingConfig) -> RankingConfig:
    """`config` with every signal that reads the question switched off (for the automatic benchmark)."""
    return replace(config, question_dense=0.0, question_lexical=0.0, group_by_question=False)


def labelled_systems(ranker: RankingConfig) -> dict[str, RankingConfig]:
    return {"ranker": ranker} | baseline_configs()


def automatic_systems(ranker: RankingConfig) -> dict[str, RankingConfig]:
    answer_only = {name: config for name, config in baseline_configs().items() if "answers" in name}
    return {"ranker (answer signals only)": answer_text_only(ranker)} | answer_only


def relevant_answers(index: LoadedIndex, query: LabelledQuery) -> set[str]:
    return {a.answer_id for a in index.answers if a.question_id in query.relevant_questions}


def timed_encodings(embedder: Embedder, texts: Sequence[str]) -> tuple[np.ndarray, list[float]]:
    """Encode one text per call, as the service does for a request, and time each call in ms."""
    vectors, times = [], []
    for text in texts:
        started = time.perf_counter()
        vectors.append(embedder.encode([text], batch_size=1)[0])
        times.append((time.perf_counter() - started) * 1000)
    return np.vstack(vectors), times


def score_system(name: str, service: SearchService, queries: Sequence[LabelledQuery],
                 relevant: Sequence[set[str]], vectors: np.ndarray, encode_ms: Sequence[float]) -> SystemScores:
    """Run every query through `service.search` and average the metrics over queries."""
    hits1, hits5, mrrs, ndcgs, latencies = [], [], [], [], []
    for query, wanted, vector, encode_time in zip(queries, relevant, vectors, encode_ms):
        outcome = service.search(query.text, CUTOFF, query_vector=vector)
        ranked = [r.answer.answer_id for r in outcome.ranking.results]
        hits1.append(hit_at_k(ranked, wanted, 1))
        hits5.append(hit_at_k(ranked, wanted, 5))
        mrrs.append(mrr_at_k(ranked, wanted, CUTOFF))
        ndcgs.append(ndcg_at_k(ranked, wanted, CUTOFF))
        latencies.append(encode_time + outcome.took_ms)
    return SystemScores(name, len(queries), _mean(hits1), _mean(hits5), _mean(mrrs), _mean(ndcgs),
                        round(statistics.median(latencies), 2), round(_percentile(latencies, 95), 2))


def run_benchmark(name: str, description: str, embedder: Embedder, index: LoadedIndex,
                  queries: Sequence[LabelledQuery], systems: dict[str, RankingConfig],
                  progress: Callable[[str], None] | None = None) -> BenchmarkReport:
    """Score every system on `queries` (queries with no relevant answer in the index are skipped)."""
    kept = [(q, relevant_answers(index, q)) for q in queries]
    kept = [(q, wanted) for q, wanted in kept if wanted]
    vectors, encode_ms = timed_encodings(embedder, [q.text for q, _ in kept])
    safety = SafetyCheck.build(embedder.encode)  # prototypes embedded once, shared by every system
    scores = []
    for system, config in systems.items():
        if progress:
            progress(f"{name}: {system}")
        service = SearchService(embedder, index, config, EVALUATION_LIMITS, safety)
        scores.append(score_system(system, service, [q for q, _ in kept], [w for _, w in kept], vectors, encode_ms))
    return BenchmarkReport(name, description, scores, skipped_queries=len(queries) - len(kept))


def format_table(report: BenchmarkReport) -> str:
    """A Markdown table: one row per system."""
    lines = [f"**{report.name}** ({report.description}; {report.systems[0].queries if report.systems else 0} "
             f"queries{f', {report.skipped_queries} skipped: no relevant answer in the index' if report.skipped_queries else ''})",
             "",
             "| system | hit@1 | hit@5 | MRR@10 | nDCG@10 | median ms | p95 ms |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in report.systems:
        lines.append(f"| {s.system} | {s.hit_at_1:.3f} | {s.hit_at_5:.3f} | {s.mrr_at_10:.3f} | {s.ndcg_at_10:.3f} "
                     f"| {s.median_ms:.1f} | {s.p95_ms:.1f} |")
    return "\n".join(lines)


def _mean(values: Sequence[float]) -> float:
    return round(float(np.mean(values)), 4) if values else 0.0


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0
