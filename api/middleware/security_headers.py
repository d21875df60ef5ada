"""Security headers on every response; a strict Content-Security-Policy on everything but /docs.

The page loads only its own files (CSP `'self'`, no inline script), may not be framed, sends no
Referer (a search URL carries the worry), and browsers are told not to sniff types. Search results
and suggestions are `no-store`: the worry is in them and in the URL of a GET search, and must not linger in caches.
The interactive API docs (/docs, /redoc) load Swagger UI and ReDoc from this origin (api/main.py:
the fastapi-offline package's files) but start them with inline script, so they get every header but
the CSP's source lists.
"""
from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
DOCS_CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
DOCS_PATHS = ("/docs", "/redoc")
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
NO_STORE_PATHS = ("/v1/search", "/v1/suggest")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy",
                                   DOCS_CSP if path.startswith(DOCS_PATHS) else PAGE_CSP)
                if path.startswith(NO_STORE_PATHS):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
