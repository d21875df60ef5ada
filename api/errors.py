"""Error responses: every client mistake becomes a clear 4xx with a sentence, never a 500."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.middleware.access import route_template
from api.middleware.methods import allowed_methods
from api.models import ErrorItem, ErrorResponse

log = logging.getLogger("counsel_search")


def _location(loc) -> str:
    return ".".join(str(part) for part in loc if part not in ("body",)) or "body"


NOT_JSON = "send JSON with content-type: application/json"


async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    problems = error.errors()
    items = [ErrorItem(location=_location(p.get("loc", ())), message=p.get("msg", "invalid")) for p in problems]
    if any(p.get("type") == "json_invalid" for p in problems):
        body = ErrorResponse(detail="the request body is not valid JSON", errors=items)
        return JSONResponse(status_code=400, content=body.model_dump())
    # FastAPI parses a body as JSON only when it is labelled so; any other body (text/plain, a form, no
    # content-type) reaches validation as raw bytes, which "is not a valid dictionary".
    if any(tuple(p.get("loc", ())) == ("body",) and isinstance(p.get("input"), (bytes, bytearray)) for p in problems):
        content_type = request.headers.get("content-type")
        detail = f"{NOT_JSON} (this body was sent as {content_type or 'no content-type'})"
        return JSONResponse(status_code=415, content=ErrorResponse(detail=detail).model_dump())
    summary = "; ".join(f"{i.location}: {i.message}" for i in items[:5])
    return JSONResponse(status_code=422, content=ErrorResponse(detail=f"invalid request: {summary}",
                                                                errors=items).model_dump())


async def http_error(request: Request, error: StarletteHTTPException) -> Response:
    detail = error.detail if isinstance(error.detail, str) else str(error.detail)
    headers = getattr(error, "headers", None)
    if error.status_code == 405:  # Starlette names only the first matching route's methods
        methods = allowed_methods(request.scope)
        allow = {"Allow": ", ".join(methods)}
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=allow)
        headers = {**(headers or {}), **allow}
        detail = f"{request.method} is not served here; this path takes {', '.join(methods)}"
    return JSONResponse(status_code=error.status_code, content=ErrorResponse(detail=detail).model_dump(),
                        headers=headers)


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    # The route template, not the raw path: a path can carry whatever someone typed into it.
    log.exception("unhandled error on %s %s", request.method, route_template(request.scope))
    return JSONResponse(status_code=500, content=ErrorResponse(detail="internal error").model_dump())


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
