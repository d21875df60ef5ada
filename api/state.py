"""What the app holds while it runs: the search service once loaded, or why it is not ready."""
from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from api.metrics import ServiceMetrics
from retriever.safety import load_resources
from retriever.service import QueryLimits, SearchService
from settings import Settings

log = logging.getLogger("counsel_search")


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


def open_service(settings: Settings) -> SearchService:
    """The search service as configured by `settings`: the one construction shared by the HTTP app
    and the MCP server, so both rank, limit and check safety identically."""
    return SearchService.open(
        settings.index_dir, settings.embedding_model, settings.ranking_config(),
        QueryLimits(settings.max_query_chars, settings.max_k),
        load_resources(settings.safety_region, settings.safety_resources_file),
        backend=settings.embedding_backend, onnx_file=settings.onnx_file,
        threads=serving_threads(settings), query_cache_size=settings.query_cache_size,
        encode_batch_max=settings.encode_batch_max, vector_cache_dir=settings.model_cache_dir)


@dataclass
class AppState:
    settings: Settings
    service: SearchService | None = None
    status: str = "loading"
    detail: str | None = None
    draining: bool = False
    reload_error: str | None = None  # why the newest index version was refused (the old one still serves)
    metrics: ServiceMetrics = field(init=False, repr=False)
    search_pool: ThreadPoolExecutor = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.metrics = ServiceMetrics(lambda: self.service.index if self.service is not None else None)
        # Searches are CPU-bound (the model uses every core it is given): SEARCH_THREADS at a time, the
        # rest wait their turn, instead of dozens of threads thrashing two cores.
        self.search_pool = ThreadPoolExecutor(max_workers=self.settings.search_threads,
                                              thread_name_prefix="search")

    def start_draining(self) -> None:
        """Shutting down: /readyz answers 503 from now on so load balancers stop sending traffic,
        while requests already accepted (and any that still arrive) are served to the end."""
        if not self.draining:
            log.info("draining: /readyz now answers 503; in-flight requests will finish")
        self.draining = True

    def load(self) -> None:
        """Load model and index (slow: run it off the event loop). Failure is recorded, not raised."""
        try:
            service = open_service(self.settings)
        except Exception as error:  # any failure means "not ready", reported on /readyz
            log.error("loading the index failed: %s", error)
            with self._lock:
                self.status, self.detail = "failed", str(error)
            return
        with self._lock:
            self.service, self.status, self.detail = service, "ready", None
        log.info("ready: index %s, %d answers", service.index.manifest.version, len(service.index.answers))
