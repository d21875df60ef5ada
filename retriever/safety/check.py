"""The safety check run on every query: lexicon + prototypes -> a verdict with help resources.

It never raises. If anything inside goes wrong, the verdict says so in `error`, counts as a crisis
(erring toward help: the banner and all resources are shown) and the search goes on.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from retriever.safety.lexicon import CATEGORIES, scan
from retriever.safety.prototypes import PrototypeMatcher, SemanticThresholds
from retriever.safety.resources import Resource, ResourceSet, load_resources

log = logging.getLogger("counsel_search.safety")


@dataclass
class SafetyVerdict:
    crisis: bool
    categories: list[str]
    resources: list[Resource]
    notice: str
    error: str | None = None
    took_ms: float = 0.0
    sources: list[str] = field(default_factory=list)  # "lexicon" / "semantic": why it fired (never the text)


class SafetyCheck:
    """Flags crisis language in a query. Build once per service (prototype vectors are encoded here)."""

    def __init__(self, resources: ResourceSet, matcher: PrototypeMatcher | None = None):
        self.resources = resources
        self.matcher = matcher

    @classmethod
    def build(cls, encode: Callable[[list[str]], np.ndarray], resources: ResourceSet | None = None,
              thresholds: SemanticThresholds = SemanticThresholds()) -> "SafetyCheck":
        return cls(resources or load_resources(), PrototypeMatcher(encode, thresholds))

    def check(self, text: str, vector: np.ndarray | None = None) -> SafetyVerdict:
        """Judge one query; `vector` is its embedding from the search (None: lexicon only)."""
        started = time.perf_counter()
        try:
            verdict = self._judge(text, vector)
        except Exception as error:  # a safety check must never take a search down with it
            log.error("safety check failed (%s); showing help resources", type(error).__name__)
            verdict = SafetyVerdict(True, [], self.resources.all(), self.resources.notice,
                                    error=f"the safety check failed ({type(error).__name__}); "
                                          "help resources are shown to be safe")
        verdict.took_ms = (time.perf_counter() - started) * 1000
        return verdict

    def _judge(self, text: str, vector: np.ndarray | None) -> SafetyVerdict:
        found = scan(text)
        categories = set(found.categories)
        sources = ["lexicon"] if categories else []
        # A query that only *denies* crisis ("I'm not suicidal, just tired") is not flagged by its
        # closeness to crisis sentences; any affirmed signal, or a "but ..." after the denial, still counts.
        only_denial = bool(found.negated) and not categories and not found.denial_continues
        if self.matcher is not None and vector is not None and not only_denial:
            semantic = self.matcher.categories(vector, strict=found.idioms > 0 and not categories,
                                               lenient=found.denial_continues and not categories)
            if semantic - categories:
                sources.append("semantic")
            categories |= semantic
        ordered = [c for c in CATEGORIES if c in categories]
        resources = self.resources.for_categories(ordered) if ordered else self.resources.general()
        return SafetyVerdict(bool(ordered), ordered, resources, self.resources.notice, sources=sources)
