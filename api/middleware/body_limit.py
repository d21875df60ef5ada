"""Refuse request bodies over MAX_BODY_BYTES with 413, before they are read into memory.

A declared Content-Length over the limit is refused at once; a body sent without one (chunked) is
counted as it arrives and refused as soon as it passes the limit.
"""
from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.models import ErrorResponse


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    def too_large(self) -> str:
        return f"the request body is larger than the limit of {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            status, detail = (413, self.too_large()) if declared.isdigit() else (400, "invalid Content-Length")
            await JSONResponse(ErrorResponse(detail=detail).model_dump(), status_code=status)(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises HTTPExceptions from body reading; the error handler renders it.
                    raise HTTPException(status_code=413, detail=self.too_large())
            return message

        await self.app(scope, counted_receive, send)
