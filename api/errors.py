"""Error responses: every client mistake becomes a clear 4xx with a sentence, never a 500."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.middleware.access import route_template
from api.models import ErrorItem, ErrorResponse

log = logging.getLogger("counsel_search")


def _location(loc) -> str:
    return ".".join(str(part) for part in loc if part not in ("body",)) or "body"


async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    problems = error.errors()
    items = [ErrorItem(location=_location(p.get("loc", ())), message=p.get("msg", "invalid")) for p in problems]
    if any(p.get("type") == "json_invalid" for p in problems):
        body = ErrorResponse(detail="the request body is not valid JSON", errors=items)
        return JSONResponse(status_code=400, content=body.model_dump())
    summary = "; ".join(f"{i.location}: {i.message}" for i in items[:5])
    return JSONResponse(status_code=422, content=ErrorResponse(detail=f"invalid request: {summary}",
                                                                errors=items).model_dump())


async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    detail = error.detail if isinstance(error.detail, str) else str(error.detail)
    return JSONResponse(status_code=error.status_code, content=ErrorResponse(detail=detail).model_dump(),
                        headers=getattr(error, "headers", None))


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    # The route template, not the raw path: a path can carry whatever someone typed into it.
    log.exception("unhandled error on %s %s", request.method, route_template(request.scope))
    return JSONResponse(status_code=500, content=ErrorResponse(detail="internal error").model_dump())


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
