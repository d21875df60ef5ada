"""Logging that never carries what people typed: one JSON object per line.

Every request produces one access line (`counsel_search.access`: request id, method, route
template, status, latency), written by `api.middleware.access`. The raw path and the query string
are never logged: `/?q=<worry>` and `/v1/search?q=<worry>` carry the worry itself. Query text
appears only with LOG_QUERIES on, and then as a hash unless LOG_QUERIES_RAW is on too.

uvicorn's own access log would print `GET /v1/search?q=<the worry>`: `configure_logging` turns it
off (our access line replaces it) and its records are scrubbed of query strings anyway, in case
someone turns it back on.
"""
from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import os
import sys
from datetime import datetime, timezone

from fastapi import Request

from settings import Settings

#: The id of the request being handled, for every log line written while handling it.
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
_QUERY_KEY = "counsel_query"


class ScrubQueryStrings(logging.Filter):
    """Drop query strings from log records' arguments (uvicorn's access log passes the path with its query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(strip_query_string(arg) for arg in record.args)
        return True


def strip_query_string(value):
    if isinstance(value, str) and value.startswith("/") and "?" in value:
        return value.split("?", 1)[0]
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id.get()
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_") and key != "color_message":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _JsonHandler(logging.StreamHandler):
    """Marks our handler so configuring twice (several apps, reloads) does not print lines twice."""


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for every logger; uvicorn's access log off (ours replaces it) and scrubbed.

    It owns the root logger: a plain StreamHandler found there is what `logging.basicConfig` puts on
    a root without handlers, which a library's module-level `logging.info` calls (ONNX Runtime's
    quantisation tooling does while a first build derives the int8 graph, on a fresh MODEL_CACHE_DIR),
    and it would print every line a second time as `INFO:name:message`: it is removed. With our
    handler on the root, a later basicConfig adds nothing. Other handlers (a file, a test's capture) stay.
    """
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if type(h) is not logging.StreamHandler]
    if not any(isinstance(h, _JsonHandler) for h in root.handlers):
        handler = _JsonHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers = [h for h in uvicorn_logger.handlers if isinstance(h, _JsonHandler)]
        uvicorn_logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers, access.propagate, access.disabled = [], False, True
    install_uvicorn_scrubbing()
    silence_progress_bars()


def silence_progress_bars() -> None:
    """Model-loading progress bars would put non-JSON text between the log lines."""
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"  # read when huggingface_hub / transformers are imported
    os.environ["TQDM_DISABLE"] = "1"
    if "transformers" in sys.modules:  # already imported: switch its own flag off too
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()


def install_uvicorn_scrubbing() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, ScrubQueryStrings) for f in access.filters):
        access.addFilter(ScrubQueryStrings())


def query_fingerprint(query: str) -> str:
    """A short hash that lets an operator match repeated queries without reading them."""
    return hashlib.sha256(query.encode("utf-8")).hexdigest()[:12]


def note_query(request: Request, query: str) -> None:
    """Hand the query to the access log, which writes it only if LOG_QUERIES is on."""
    request.scope.setdefault("state", {})[_QUERY_KEY] = query


def query_log_fields(scope: dict, settings: Settings) -> dict:
    """What the access line may say about the query: nothing by default; a hash or the text when asked."""
    query = scope.get("state", {}).get(_QUERY_KEY)
    if query is None or not settings.log_queries:
        return {}
    if settings.log_queries_raw:
        return {"query": query}
    return {"query_sha256": query_fingerprint(query)}
