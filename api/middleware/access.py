"""Observing each request: its id, one JSON access-log line and the request metrics.

The request id comes from the caller's `X-Request-ID` when it is sane (1-64 characters of letters,
digits and `._:-`, so it cannot smuggle text or break log lines) or is generated, and goes back in
the response's `X-Request-ID`. Routes are recorded by TEMPLATE (`/v1/answers/{answer_id}`): a raw
path may carry ids or text, and would explode the metrics' label count.
"""
from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logging_setup import current_request_id, query_log_fields
from api.telemetry import ServiceMetrics
from settings import Settings

log = logging.getLogger("counsel_search.access")

REQUEST_ID_HEADER = "x-request-id"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
UNMATCHED_ROUTE = "unmatched"


def accept_request_id(given: str | None) -> str:
    """The caller's id if it is safe to echo and log, else a fresh one."""
    if given is not None and SANE_REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template, or `unmatched` (404s must not put raw paths in labels).

    FastAPI records the route it matched in the scope; Starlette's own routes (/docs, /openapi.json)
    and mounts (/static, /docs/assets) do not, so those are looked up among the app's routes.
    """
    route = scope.get("route") or _starlette_route(scope)
    if route is None:
        return UNMATCHED_ROUTE
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if isinstance(route, Mount):
        template = f"{route.path}/{{path}}"
    return template or UNMATCHED_ROUTE


def _starlette_route(scope: Scope):
    if "endpoint" not in scope:  # Starlette sets it once a route or mount matched: a 404 has none
        return None
    # A mount moved the matched prefix into root_path; match against the path as the app received it.
    probe = {**scope, "root_path": scope.get("app_root_path", scope.get("root_path", ""))}
    for route in getattr(scope.get("app"), "routes", []):
        if isinstance(route, (Mount, Route)) and route.matches(probe)[0] is Match.FULL:
            return route
    return None


class AccessMiddleware:
    def __init__(self, app: ASGIApp, metrics: ServiceMetrics, settings: Settings):
        self.app = app
        self.metrics = metrics
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = accept_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        scope.setdefault("state", {})["request_id"] = request_id
        token = current_request_id.set(request_id)
        status = 500  # what the client gets if the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.metrics.in_flight.dec()
            seconds = time.perf_counter() - started
            route = route_template(scope)
            self.metrics.observe_request(scope["method"], route, status, seconds)
            log.info("%s %s %d", scope["method"], route, status,
                     extra={"method": scope["method"], "route": route, "status": status,
                            "latency_ms": round(seconds * 1000, 2), **query_log_fields(scope, self.settings)})
            current_request_id.reset(token)
