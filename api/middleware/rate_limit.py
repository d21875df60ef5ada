"""A per-client rate limit on the API (/v1): token buckets, 429 with Retry-After when empty.

Off by default (RATE_LIMIT_PER_MINUTE=0) for local use. A client is its address as the server sees
it; behind a reverse proxy run uvicorn with `--proxy-headers --forwarded-allow-ips=<proxy>` so that
is the real client. The table of clients is bounded (least recently seen forgotten first), so a
flood of addresses cannot grow memory without end. Health probes and /metrics are never limited.
"""
from __future__ import annotations

import math
import time
from collections import OrderedDict
from typing import Callable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.telemetry import ServiceMetrics
from api.models import ErrorResponse

LIMITED_PREFIX = "/v1/"


class TokenBuckets:
    """`rate_per_minute` requests per minute per key, with bursts of up to `burst`."""

    def __init__(self, rate_per_minute: int, burst: int, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self.clock = clock
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, updated)

    def take(self, key: str) -> float:
        """Spend a token for `key`: 0.0 if allowed, else the seconds until one is available."""
        now = self.clock()
        tokens, updated = self.buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - updated) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self.buckets[key] = (tokens, now)
        while len(self.buckets) > self.max_keys:
            self.buckets.popitem(last=False)
        return wait


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, rate_per_minute: int, burst: int, metrics: ServiceMetrics):
        self.app = app
        self.buckets = TokenBuckets(rate_per_minute, burst)
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(LIMITED_PREFIX) or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.buckets.take(client[0] if client else "unknown")
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        self.metrics.record_rate_limited()
        seconds = max(1, math.ceil(wait))
        body = ErrorResponse(detail=f"too many requests from this client; try again in {seconds} s")
        response = JSONResponse(body.model_dump(), status_code=429, headers={"Retry-After": str(seconds)})
        await response(scope, receive, send)
