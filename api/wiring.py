"""The composition root: from `Settings` to the objects each layer takes.

The library layers never read the environment (settings.py is a leaf; retriever/ and index/ take
their configuration as arguments), so the translation lives here, once, for every entry point:
the HTTP app, the command line (scripts/) and the MCP server build the same service the same way.
"""
from __future__ import annotations

import os
from functools import partial

from index.backends import VectorBackend
from index.embedding import Embedder, open_embedder
from index.engines import EmbeddingEngine, ModelOpener, RayOptions, open_engine
from retriever.ranking import RankingConfig
from retriever.safety import load_resources
from retriever.service import QueryLimits, SearchService
from settings import Settings


def vector_backend(settings: Settings) -> VectorBackend:
    """Where this deployment keeps vectors (VECTOR_BACKEND, MILVUS_*); URI and token never reach an index."""
    return VectorBackend(settings.vector_backend, settings.milvus_uri, settings.milvus_token,
                         settings.milvus_collection_prefix, settings.milvus_index_type, settings.milvus_consistency)


def ranking_config(settings: Settings) -> RankingConfig:
    """The ranker's configuration from the RANKING_* variables (RankingConfig checks the values)."""
    return RankingConfig(
        fusion=settings.ranking_fusion,
        model_file=str(settings.ranking_model_file) if settings.ranking_model_file else None,
        group_by_question=settings.ranking_group_by_question, question_candidates=settings.ranking_question_candidates,
        passage_candidates=settings.ranking_passage_candidates, lexical_candidates=settings.ranking_lexical_candidates,
        confidence_threshold=settings.ranking_confidence_threshold)


def open_model(settings: Settings, *, threads: int | None = None) -> Embedder:
    """The embedding model as configured (EMBEDDING_MODEL, EMBEDDING_BACKEND, ONNX_FILE, MODEL_CACHE_DIR);
    `threads` None = EMBEDDING_THREADS (0: every core, what a build wants)."""
    return open_embedder(settings.embedding_model, settings.embedding_backend, onnx_file=settings.onnx_file,
                         threads=settings.embedding_threads if threads is None else threads,
                         cache_dir=settings.model_cache_dir)


def worker_model(settings: Settings) -> ModelOpener:
    """How a worker of a distributed build opens the model: as configured, on one core (one worker a core)."""
    return partial(open_embedder, settings.embedding_model, settings.embedding_backend, onnx_file=settings.onnx_file,
                   threads=1, cache_dir=settings.model_cache_dir)


def embedding_engine(settings: Settings, name: str, *, ray: RayOptions | None = None) -> EmbeddingEngine:
    """The engine that embeds what a build lacks (`local`, or `ray` with its options); Ray is not imported here."""
    return open_engine(name, open_model=worker_model(settings), ray=ray)


def serving_processes(settings: Settings) -> int:
    """How many server processes WORKERS asks for (0 = one per core)."""
    return settings.workers or (os.cpu_count() or 1)


def serving_threads(settings: Settings) -> int:
    """Model threads per model run (EMBEDDING_THREADS overrides): the cores shared among the
    server processes, and, without micro-batching, among the SEARCH_THREADS searches that encode at
    once, so concurrent model runs do not oversubscribe the CPU. With micro-batching one encoder
    thread per process runs the model, one batch at a time."""
    if settings.embedding_threads:
        return settings.embedding_threads
    share = serving_processes(settings) * (1 if settings.encode_batch_max > 1 else settings.search_threads)
    return max(1, (os.cpu_count() or 1) // share)


def open_service(settings: Settings, *, threads: int | None = None) -> SearchService:
    """The search service as configured by `settings`: the one construction shared by the HTTP app,
    the command line and the MCP server, so all rank, limit and check safety identically."""
    return SearchService.open(
        settings.index_dir, settings.embedding_model, ranking_config(settings),
        QueryLimits(settings.max_query_chars, settings.max_k),
        load_resources(settings.safety_region, settings.safety_resources_file),
        embedding_backend=settings.embedding_backend, onnx_file=settings.onnx_file,
        threads=serving_threads(settings) if threads is None else threads,
        query_cache_size=settings.query_cache_size, encode_batch_max=settings.encode_batch_max,
        model_cache_dir=settings.model_cache_dir, vector_backend=vector_backend(settings))
