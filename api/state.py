"""What the app holds while it runs: the search service once loaded, or why it is not ready."""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from api.telemetry import ServiceMetrics
from api.wiring import open_service
from retriever.service import SearchService
from settings import Settings

log = logging.getLogger("counsel_search")


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
