"""Prometheus metrics for operators: how the service is doing, never what anyone asked.

One `ServiceMetrics` per app, each with its own registry (no process-wide globals, so tests can
build many apps). Labels are bounded and say nothing about a person: route TEMPLATES
(`/v1/answers/{answer_id}`, never the raw path), methods, status codes, stage names. Query text never
becomes a label.

Other parts of the service report through the named methods:
- the request middleware: `observe_request`;
- the search route: `observe_search_stages`, `record_crisis_flag`, `record_search_timeout`;
- whatever swaps in a new index (the reindex watcher): `record_reload(succeeded=...)`.
The serving index (version, sizes) is read at scrape time from the app state, so it is right
whichever code path swapped it.
"""
from __future__ import annotations

from typing import Callable, Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

from index.loader import LoadedIndex

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
SEARCH_STAGES = ("encode", "safety", "candidates", "rank")


class _IndexCollector(Collector):
    """Version and sizes of the index being served, read when Prometheus scrapes."""

    def __init__(self, current_index: Callable[[], LoadedIndex | None]):
        self.current_index = current_index

    def collect(self) -> Iterable:
        index = self.current_index()
        info = InfoMetricFamily("counsel_index", "The index being served.")
        loaded = GaugeMetricFamily("counsel_index_loaded", "1 when an index is loaded and serving.")
        loaded.add_metric([], 0.0 if index is None else 1.0)
        yield loaded
        if index is None:
            return
        manifest = index.manifest
        info.add_metric([], {"version": manifest.version, "model": manifest.model, "built_at": manifest.built_at})
        yield info
        size = GaugeMetricFamily("counsel_index_size", "Items in the index being served.", labels=["kind"])
        for kind in ("answers", "questions", "passages"):
            size.add_metric([kind], float(getattr(manifest, kind)))
        yield size


class ServiceMetrics:
    def __init__(self, current_index: Callable[[], LoadedIndex | None] = lambda: None):
        self.registry = CollectorRegistry()
        self.requests = Counter("counsel_http_requests", "HTTP requests by route template and status.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("counsel_http_request_duration_seconds", "HTTP request latency.",
                                 ["method", "route", "status"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.in_flight = Gauge("counsel_http_requests_in_flight", "Requests being handled now.",
                               registry=self.registry)
        self.stages = Histogram("counsel_search_stage_seconds", "Time spent in each stage of a search.",
                                ["stage"], buckets=STAGE_BUCKETS, registry=self.registry)
        self.search_timeouts = Counter("counsel_search_timeouts", "Searches that ran past SEARCH_TIMEOUT_S.",
                                       registry=self.registry)
        self.crisis_flags = Counter("counsel_crisis_flags", "Search responses flagged as a possible crisis.",
                                    registry=self.registry)
        self.reloads = Counter("counsel_index_reloads", "Index reloads that succeeded.", registry=self.registry)
        self.reload_failures = Counter("counsel_index_reload_failures", "Index reloads that failed.",
                                       registry=self.registry)
        self.rate_limited = Counter("counsel_rate_limited", "Requests refused with 429.", registry=self.registry)
        self.registry.register(_IndexCollector(current_index))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def observe_search_stages(self, timings_ms: dict[str, float]) -> None:
        """Record the stages the search service timed (unknown stage names are ignored: bounded labels)."""
        for stage in SEARCH_STAGES:
            if stage in timings_ms:
                self.stages.labels(stage).observe(timings_ms[stage] / 1000.0)

    def record_crisis_flag(self) -> None:
        self.crisis_flags.inc()

    def record_search_timeout(self) -> None:
        self.search_timeouts.inc()

    def record_reload(self, succeeded: bool) -> None:
        (self.reloads if succeeded else self.reload_failures).inc()

    def record_rate_limited(self) -> None:
        self.rate_limited.inc()

    def exposition(self) -> tuple[bytes, str]:
        """The text Prometheus scrapes, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
