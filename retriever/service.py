"""The search service: one embedding model, the index that is serving, and the rules for a query.

The API, the command line and the MCP server all call `SearchService.search`, so validation and
ranking are the same everywhere. The serving index is one attribute, replaced in a single
assignment by `swap`, so a request that started on the old index finishes on it.
"""
from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from index.backends import VectorBackend
from index.embedding import Embedder, open_embedder
from index.layout import IndexFormatError
from index.loader import LoadedIndex, load_index
from index.safety_tags import REQUIRED_TAGGERS
from retriever.batching import EncodeBatcher
from retriever.query_cache import QueryVectorCache
from retriever.ranking import Ranker, RankingConfig, Ranking
from retriever.crisis_retrieval import SITUATION_LEVELS, rank_for_crisis
from retriever.facets import TopicFacet
from retriever.page_aids import PageAids
from retriever.safety import ResourceSet, SafetyCheck, SafetyVerdict
from retriever.safety.taxonomy import CONCERN, LEVEL_RANK, OTHER

MAX_PER_QUESTION = 10  # answers per question when results are grouped by question

log = logging.getLogger("counsel_search")


class QueryError(ValueError):
    """The query cannot be searched as given; the message says why, for the person who sent it."""


class UnknownTopicError(QueryError):
    pass


@dataclass(frozen=True)
class QueryLimits:
    max_query_chars: int = 2000
    max_k: int = 50


@dataclass(frozen=True)
class QuerySpec:
    """One query of a batch, as sent; validated by the service like a single search."""

    query: str
    k: int = 10
    topics: Sequence[str] | None = None


@dataclass
class SearchOutcome:
    query: str
    ranking: Ranking
    took_ms: float
    safety: SafetyVerdict
    timings_ms: dict[str, float] = field(default_factory=dict)
    index_version: str = ""  # the version that ranked this query (a swap may have happened since)
    index: LoadedIndex | None = field(default=None, repr=False)  # that version itself
    facets: list[TopicFacet] | None = None  # with `facets`: topic counts over the matching set
    spelling: "Spelling | None" = None  # with `spellcheck`: the corrected query, and whether it was used
    aids: PageAids | None = field(default=None, repr=False)  # that version's page aids (related questions)


@dataclass(frozen=True)
class Spelling:
    corrected: str  # the query with its misspelled words corrected
    used: bool  # the results are the corrected query's (the original found nothing that fits)
    original: str  # the query as sent


@dataclass(frozen=True)
class Serving:
    """One index version as it serves: its ranker and its page aids, swapped together in one assignment."""

    ranker: Ranker
    aids: PageAids

    @classmethod
    def of(cls, ranker: Ranker) -> "Serving":
        return cls(ranker, PageAids.build(ranker))


def check_vectors_compatible(index: LoadedIndex, embedder: Embedder) -> None:
    """Refuse an index whose vectors another model made; note one made by another backend of the model.

    The same model run by torch (fp32) and by ONNX Runtime (int8 weights) gives vectors with cosine
    > 0.99 to each other, and querying across backends changes nDCG@10 by less than 0.01 (measured
    by benchmarks/bench.py, README "Performance"), so a different backend is served with a warning
    rather than refused. An index the ONNX backend built with its int8 document graph is its own
    (`own_backends`): no warning. Builds never mix backends inside one index (index/builder.py).
    """
    manifest = index.manifest
    if manifest.model != embedder.name or manifest.dimension != embedder.dimension:
        raise IndexFormatError(f"index {index.path} was built with {manifest.model!r}, "
                               f"the service runs {embedder.name!r}")
    if manifest.embedding_backend not in embedder.own_backends:
        log.warning("index %s was embedded by backend %s, queries by %s (same model: compatible; rebuild the "
                    "index with this backend for identical vectors)", index.path, manifest.embedding_backend,
                    embedder.backend)


def missing_taggers(index: LoadedIndex) -> list[str]:
    """The index-time safety taggers (index/safety_tags.py) an index was built without."""
    used = set(index.manifest.settings.get("taggers", []))
    return [name for name in REQUIRED_TAGGERS if name not in used]


def warn_about_missing_taggers(index: LoadedIndex) -> None:
    missing = missing_taggers(index)
    if missing:
        log.warning("index %s was built without the %s tagger(s): crisis queries lose the protection they give "
                    "(answers that describe methods left out, answers to the same situation first); rebuild it "
                    "(every build runs them by default)", index.manifest.version, ", ".join(missing))


def one_blas_thread() -> None:
    """Let numpy's BLAS use one thread in this process, from now on.

    A search's matrix products are small (2,009 x 384 for CounselChat): on one thread they take
    about 0.05 ms, while OpenBLAS's own thread team, competing with the model and with other
    searches for the cores, took 8 ms on a busy 2-core machine (measured). Concurrency comes from
    serving several searches at once, not from splitting one product.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class SearchService:
    def __init__(self, embedder: Embedder, index: LoadedIndex, config: RankingConfig = RankingConfig(),
                 limits: QueryLimits = QueryLimits(), safety: SafetyCheck | None = None, *,
                 query_cache_size: int = 0, ranker: Ranker | None = None, encode_batch_max: int = 0):
        check_vectors_compatible(index, embedder)
        warn_about_missing_taggers(index)
        one_blas_thread()
        self.embedder = embedder
        self.config = config
        self.limits = limits
        self.query_cache = QueryVectorCache(query_cache_size)
        # Concurrent single searches share model calls (retriever/batching.py); 0 or 1 = each encodes alone.
        self.batcher = (EncodeBatcher(lambda texts: embedder.encode(texts, batch_size=max(1, len(texts))),
                                      encode_batch_max) if encode_batch_max > 1 else None)
        self.serving = Serving.of(ranker if ranker is not None and ranker.index is index else Ranker(index, config))
        self.safety = safety or SafetyCheck.build()
        if not self.safety.classifier.fits(embedder.name):
            log.warning("the crisis classifier was trained on %s vectors, the service runs %s: it reads the words only "
                        "(retrain it with scripts/train_safety.py for this model)", self.safety.classifier.model,
                        embedder.name)

    @classmethod
    def open(cls, index_dir: str | Path, model: str, config: RankingConfig = RankingConfig(),
             limits: QueryLimits = QueryLimits(), resources: ResourceSet | None = None, *,
             embedding_backend: str = "onnx", onnx_file: str | Path | None = None, threads: int = 0,
             query_cache_size: int = 0, encode_batch_max: int = 0, model_cache_dir: str | Path | None = None,
             vector_backend: VectorBackend | None = None) -> "SearchService":
        """Load the model (run by `embedding_backend`) and the current index (checked to be built with that
        model; its vectors are read from `vector_backend`: FAISS files by default).

        The model and the crisis classifier load on a second thread while the index and its ranker
        (BM25) load on this one: the model's work is native code that releases the GIL, so cold start
        is the longer of the two, not their sum. `model_cache_dir` keeps derived model graphs.
        """
        def model_and_safety():
            embedder = open_embedder(model, embedding_backend, onnx_file=onnx_file, threads=threads,
                                     cache_dir=model_cache_dir)
            return embedder, SafetyCheck.build(resources)

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-model") as pool:
            loading = pool.submit(model_and_safety)
            try:
                index = load_index(index_dir, expected_model=model, vector_backend=vector_backend)
                ranker = Ranker(index, config)
            finally:
                embedder, safety = loading.result()  # waits for the model (and raises its error) either way
        return cls(embedder, index, config, limits, safety, query_cache_size=query_cache_size, ranker=ranker,
                   encode_batch_max=encode_batch_max)

    @property
    def ranker(self) -> Ranker:
        return self.serving.ranker

    @property
    def aids(self) -> PageAids:
        return self.serving.aids

    @property
    def index(self) -> LoadedIndex:
        return self.ranker.index

    def safety_warnings(self) -> list[str]:
        """What /readyz reports about safety defaults the serving index or model lacks."""
        warnings = []
        missing = missing_taggers(self.index)
        if missing:
            warnings.append(f"index {self.index.manifest.version} was built without the {', '.join(missing)} tagger(s): "
                            "crisis queries lose the protection they give; rebuild the index")
        if not self.safety.classifier.fits(self.embedder.name):
            warnings.append(f"the crisis classifier was trained on {self.safety.classifier.model} vectors, not "
                            f"{self.embedder.name}: it reads the words only")
        return warnings

    def swap(self, index: LoadedIndex) -> None:
        """Serve `index` from now on; requests already running keep the ranker they started with."""
        check_vectors_compatible(index, self.embedder)
        warn_about_missing_taggers(index)
        self.serving = Serving.of(Ranker(index, self.config))

    def validate(self, query: str, k: int, topics: Sequence[str] | None, index: LoadedIndex | None = None) -> str:
        """Return the query stripped, or raise `QueryError` saying what is wrong (topics checked
        against `index`, by default the serving one). The API's OpenAPI document states these same
        rules (api/openapi.py fills in the limits and the topic keys)."""
        if not isinstance(query, str) or not query.strip():
            raise QueryError("query is empty: type a few words about what is on your mind")
        # Counted as sent, like the API schema's maxLength says, so what it calls too long is refused.
        if len(query) > self.limits.max_query_chars:
            raise QueryError(f"query is {len(query)} characters long; the limit is {self.limits.max_query_chars}")
        if not 1 <= k <= self.limits.max_k:
            raise QueryError(f"k must be between 1 and {self.limits.max_k}")
        unknown = sorted(set(topics or []) - set((index or self.ranker.index).topics))
        if unknown:
            named = ", ".join(json.dumps(topic, ensure_ascii=False) for topic in unknown)
            raise UnknownTopicError(f"unknown topic(s): {named}; see /v1/topics")
        return query.strip()

    def encode(self, queries: list[str]) -> np.ndarray:
        """Query vectors; a single query is looked up in (and added to) the LRU cache first."""
        if len(queries) == 1:
            cached = self.query_cache.get(queries[0])
            if cached is not None:
                return cached[None, :]
        if len(queries) == 1 and self.batcher is not None:
            vectors = self.batcher.encode_one(queries[0])[None, :]
        else:
            vectors = self.embedder.encode(queries, batch_size=max(1, len(queries)))
        if len(queries) == 1:
            self.query_cache.put(queries[0], vectors[0])
        return vectors

    def close(self) -> None:
        """Stop the encoder thread of the micro-batcher, if any (the app's shutdown calls this)."""
        if self.batcher is not None:
            self.batcher.close()

    def search(self, query: str, k: int = 10, topics: Sequence[str] | None = None,
               query_vector: np.ndarray | None = None, *, per_question: int | None = None, facets: bool = False,
               spellcheck: bool = False) -> SearchOutcome:
        """Rank answers for `query`. With `per_question`, `k` counts questions, each with at most that many answers.

        `facets`: also count topics over the matching set (retriever/facets.py; not for a crisis).
        `spellcheck`: offer the query with its misspelled words corrected, and search with it when the
        original finds nothing that fits (retriever/spelling.py); not above `concern`: help comes first.
        """
        started = time.perf_counter()
        serving = self.serving  # one read: a concurrent swap cannot change the index mid-request
        ranker = serving.ranker
        query = self.validate(query, k, topics, ranker.index)
        if per_question is not None and not 1 <= per_question <= MAX_PER_QUESTION:
            raise QueryError(f"per_question must be between 1 and {MAX_PER_QUESTION}")
        ahead = None
        if query_vector is None:
            ahead = ranker.extractor.lexical_ahead(query, topics)  # a large index: BM25 runs during the encode
            query_vector = self.encode([query])[0]
        encoded = time.perf_counter()
        safety = self.safety.check(query, query_vector)  # never raises; reuses the query vector
        checked = time.perf_counter()
        if safety.crisis:  # under the help lines: answers to people in the same situation (crisis_retrieval.py)
            if ahead is not None:  # searched within the situation's questions instead
                ahead.pending.cancel()
            ranking = rank_for_crisis(ranker, query, query_vector, k, safety.level, safety.categories,
                                      safety.subject == OTHER, topics, per_question)
        else:
            ranking = ranker.rank(query, query_vector, k, topics, per_question=per_question, lexical_ahead=ahead)
        done = time.perf_counter()
        # candidates: every source searched and every signal computed; rank: fusion, picking, reading the rows
        candidates = ranking.timings_ms.get("candidates", 0.0)
        timings = {"encode": (encoded - started) * 1000, "safety": (checked - encoded) * 1000,
                   "candidates": candidates, "rank": (done - checked) * 1000 - candidates}
        outcome = SearchOutcome(query, ranking, (done - started) * 1000, safety, timings, ranker.index.manifest.version,
                                ranker.index, aids=serving.aids)
        if facets and safety.level not in SITUATION_LEVELS:  # a concern keeps ordinary results, facets too
            matching = ranking.positions if not topics else ranker.extractor.candidates(query, query_vector).positions
            outcome.facets = serving.aids.facets.count(matching if matching is not None else np.zeros(0, np.int64))
        if spellcheck and LEVEL_RANK[safety.level] <= LEVEL_RANK[CONCERN]:
            return self._respelled(outcome, serving.aids, k, topics, per_question, facets)
        return outcome

    def _respelled(self, outcome: SearchOutcome, aids: PageAids, k: int, topics: Sequence[str] | None,
                   per_question: int | None, facets: bool) -> SearchOutcome:
        """`outcome` with the corrected query offered; the corrected query's outcome when the original found
        nothing that fits and it does. A correction never lowers the safety level: the response keeps the
        more serious of the two verdicts (a corrected query that reads as a crisis is used: help first)."""
        corrected = aids.speller.correct(outcome.query)
        if corrected is None:
            return outcome
        outcome.spelling = Spelling(corrected, False, outcome.query)
        found = outcome.ranking
        if found.results and not found.low_confidence:
            return outcome
        other = self.search(corrected, k, topics, per_question=per_question, facets=facets)
        better = other.ranking.results and (not found.results or not other.ranking.low_confidence)
        if not (better or LEVEL_RANK[other.safety.level] > LEVEL_RANK[outcome.safety.level]):
            return outcome
        other.spelling = Spelling(corrected, True, outcome.query)
        other.took_ms += outcome.took_ms
        if LEVEL_RANK[outcome.safety.level] > LEVEL_RANK[other.safety.level]:
            other.safety = outcome.safety
        return other

    def search_batch(self, specs: Sequence[QuerySpec]) -> list[SearchOutcome | QueryError]:
        """Search several queries, encoded in ONE model call; each gets its outcome or its own error.

        One bad query (empty, too long, unknown topic) must not cost the others their answers, so
        errors are returned in its place rather than raised. Batching the encoder is where the time
        goes: the ranking after it is per query, exactly as `search` does it.
        """
        outcomes: list[SearchOutcome | QueryError | None] = [None] * len(specs)
        valid: list[tuple[int, str]] = []
        for position, spec in enumerate(specs):
            try:
                valid.append((position, self.validate(spec.query, spec.k, spec.topics)))
            except QueryError as error:
                outcomes[position] = error
        vectors = self.encode([query for _, query in valid]) if valid else None
        for row, (position, query) in enumerate(valid):
            spec = specs[position]
            outcomes[position] = self.search(query, spec.k, spec.topics, query_vector=vectors[row])
        return outcomes  # type: ignore[return-value]  # every slot is filled above
