"""Logging that never carries what people typed.

Our own request log records method, path (never the query string), status and latency. uvicorn's
access log would print `GET /v1/search?q=<the worry>`, so its records are scrubbed of query strings.
"""
from __future__ import annotations

import hashlib
import logging
import time

from fastapi import FastAPI, Request

log = logging.getLogger("counsel_search.access")


class ScrubQueryStrings(logging.Filter):
    """Drop the query string from uvicorn access-log records (args: client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = args[:2] + (args[2].split("?", 1)[0],) + args[3:]
        return True


def query_fingerprint(query: str) -> str:
    """A short hash that lets an operator match repeated queries without reading them."""
    return hashlib.sha256(query.encode("utf-8")).hexdigest()[:12]


def install_request_logging(app: FastAPI) -> None:
    logging.getLogger("uvicorn.access").addFilter(ScrubQueryStrings())

    @app.middleware("http")
    async def log_requests(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        log.info("%s %s %d %.1fms", request.method, request.url.path, response.status_code,
                 (time.perf_counter() - started) * 1000)
        return response
