"""The FastAPI application: `INDEX_DIR=<dir> uvicorn api.main:app`.

The model and index load once, in a background thread at start-up: /healthz answers at once,
/readyz turns 200 when loading is done. Routes get the search service through a dependency.
"""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi_offline import FastAPIOffline

from api.allocator import cap_malloc_arenas
from api.errors import install_error_handlers
from api.models import ErrorResponse
from api.logging_setup import configure_logging, install_uvicorn_scrubbing
from api.middleware.access import AccessMiddleware
from api.middleware.body_limit import BodyLimitMiddleware
from api.middleware.methods import HeadMiddleware
from api.middleware.rate_limit import RateLimitMiddleware
from api.middleware.security_headers import SecurityHeadersMiddleware
from api.openapi import install_openapi
from api.page import install_page
from api.reloader import IndexReloader
from api.routes import admin, answers, chat, health, help, metrics, questions, search, suggest
from api.state import AppState
from retriever.service import SearchService
from settings import Settings

DOCS_ASSETS = "/docs/assets"  # Swagger UI's and ReDoc's scripts, styles and icon

# Answers the middlewares may give on any /v1 route, declared so the OpenAPI schema is honest.
LIMIT_ERRORS = {
    400: {"model": ErrorResponse, "description": "The body is not valid JSON, or its Content-Length is invalid."},
    413: {"model": ErrorResponse, "description": "The request body is over MAX_BODY_BYTES (64 KiB by default): "
                                                 "refused for its size before its content is read."},
    414: {"model": ErrorResponse, "description": "The URL is over 65,535 bytes (api/server.py answers it); "
                                                 "send a long worry with POST."},
    429: {"model": ErrorResponse, "description": "Rate limit (RATE_LIMIT_PER_MINUTE) exceeded; see Retry-After."},
}


def create_app(settings: Settings | None = None, service: SearchService | None = None, *,
               load_before_serving: bool = False) -> FastAPI:
    """Build the app. Pass `service` to serve an already loaded index (tests, embedding).

    By default the index loads in the background and the app answers at once (`/readyz` says
    "loading", searches 503). With `load_before_serving` its start-up waits for the load: a worker
    process sharing a port with others then accepts no connection before it can search, so a
    client never lands on a worker that is still loading (api/server.py).
    """
    state = AppState(settings or Settings())
    if service is not None:
        state.service, state.status = service, "ready"
    reloader = IndexReloader(state, state.settings.reload_poll_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging()
        cap_malloc_arenas(state.settings.malloc_arenas)  # before the load and the search threads allocate
        loading = None
        if state.service is None:
            loading = asyncio.create_task(asyncio.to_thread(state.load))
            if load_before_serving:
                await loading
        reloader.start()  # follows `current` once the first load is done
        yield
        reloader.stop()
        # uvicorn has stopped accepting connections and finished the requests in flight by now;
        # `api.server` drains earlier, on SIGTERM, while /readyz still can tell load balancers.
        state.start_draining()
        if loading is not None and not loading.done():
            loading.cancel()
        if loading is not None and state.service is not None:
            state.service.close()  # only a service this app loaded: one passed in may serve other apps

    # FastAPIOffline: /docs and /redoc load Swagger UI and ReDoc from files this app serves (under
    # DOCS_ASSETS, from the fastapi-offline package), not from a CDN: they work offline, like the rest.
    app = FastAPIOffline(title="counsel-search", version="0.1.0", lifespan=lifespan, static_url=DOCS_ASSETS,
                         description="Semantic search over answers licensed therapists wrote to questions people "
                                     "asked publicly (CounselChat). Not a substitute for professional help.")
    app.state.counsel = state
    app.state.reloader = reloader
    install_error_handlers(app)
    install_middlewares(app, state)
    app.include_router(search.router, responses=LIMIT_ERRORS)
    app.include_router(chat.router, responses=LIMIT_ERRORS)
    app.include_router(answers.router, responses=LIMIT_ERRORS)
    app.include_router(questions.router, responses=LIMIT_ERRORS)
    app.include_router(suggest.router, responses=LIMIT_ERRORS)
    app.include_router(help.router, responses=LIMIT_ERRORS)
    app.include_router(health.router)
    app.include_router(admin.router, responses=LIMIT_ERRORS)
    if state.settings.metrics_enabled:
        app.include_router(metrics.router)
    install_page(app)
    install_openapi(app, state)

    return app


def install_middlewares(app: FastAPI, state: AppState) -> None:
    """Outermost first: observe (id, log, metrics), security headers, CORS, rate limit, body size, HEAD as GET,
    compression (gzip for clients that accept it, responses of 500 bytes and more: the page's script and
    a results page shrink to about a quarter)."""
    settings = state.settings
    app.add_middleware(GZipMiddleware, minimum_size=500)
    app.add_middleware(HeadMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.rate_limit_per_minute > 0:
        app.add_middleware(RateLimitMiddleware, rate_per_minute=settings.rate_limit_per_minute,
                           burst=settings.rate_limit_burst, metrics=state.metrics)
    if settings.cors_origins:  # closed by default: no CORS headers, browsers keep other origins out
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "X-Request-ID"], expose_headers=["X-Request-ID", "Retry-After"],
                           max_age=600)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(AccessMiddleware, metrics=state.metrics, settings=settings)
    install_uvicorn_scrubbing()


app = create_app()
