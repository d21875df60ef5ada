"""HTTP methods as RFC 9110 has them: HEAD wherever GET is served, and an `Allow` header that lists
every method of the path.

FastAPI's routes answer only the methods they declare (Starlette's own routes add HEAD to GET;
FastAPI's do not), and Starlette's 405 names the methods of the FIRST route whose path matched, so
`OPTIONS /v1/search` said `Allow: POST` although GET is served there too. Here:

- `HeadMiddleware` routes a HEAD request as the GET it stands for and drops the body of the answer,
  keeping its headers (Content-Length included). The routes and so the OpenAPI document stay as
  declared: HEAD is implicit in HTTP, not an operation of its own.
- `allowed_methods` finds every method any route serves on the request's path, for the `Allow` of
  a 405 and for OPTIONS (204), both answered by the error handler (api/errors.py).
"""
from __future__ import annotations

from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Methods probed on a path's routes (HEAD follows GET; OPTIONS is answered for any known path).
ROUTE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: What a mounted app (the static files) serves.
MOUNT_METHODS = frozenset({"GET", "HEAD"})


class HeadMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        as_get = {**scope, "method": "GET"}  # a copy: the server keys its own handling of HEAD off its scope

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(as_get, receive, headers_only)
        finally:
            if "route" in as_get:  # the access log and metrics name the route (api/middleware/access.py)
                scope["route"] = as_get["route"]


def allowed_methods(scope: Scope) -> list[str]:
    """Every method the request's path is served with (HEAD with GET, OPTIONS), or none for an unknown path."""
    methods: set[str] = set()
    for route in getattr(scope.get("app"), "routes", []):
        if isinstance(route, Mount):
            if route.matches({**scope, "method": "GET"})[0] is not Match.NONE:
                methods |= MOUNT_METHODS
            continue
        methods |= {method for method in ROUTE_METHODS
                    if route.matches({**scope, "method": method})[0] is Match.FULL}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods | {"OPTIONS"}) if methods else []
