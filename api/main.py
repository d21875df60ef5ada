"""The FastAPI application: `INDEX_DIR=<dir> uvicorn api.main:app`.

The model and index load once, in a background thread at start-up: /healthz answers at once,
/readyz turns 200 when loading is done. Routes get the search service through a dependency.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from fastapi import FastAPI

from api.errors import install_error_handlers
from api.logging_setup import install_request_logging
from api.page import install_page
from api.routes import answers, health, search
from api.state import AppState
from retriever.service import SearchService
from settings import Settings


def create_app(settings: Settings | None = None, service: SearchService | None = None) -> FastAPI:
    """Build the app. Pass `service` to serve an already loaded index (tests, embedding)."""
    state = AppState(settings or Settings())
    if service is not None:
        state.service, state.status = service, "ready"

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        loading = None
        if state.service is None:
            loading = asyncio.create_task(asyncio.to_thread(state.load))
        yield
        if loading is not None and not loading.done():
            loading.cancel()

    app = FastAPI(title="counsel-search", version="0.1.0", lifespan=lifespan,
                  description="Semantic search over answers licensed therapists wrote to questions people "
                              "asked publicly (CounselChat). Not a substitute for professional help.")
    app.state.counsel = state
    install_error_handlers(app)
    install_request_logging(app)
    app.include_router(search.router)
    app.include_router(answers.router)
    app.include_router(health.router)
    install_page(app)
    return app


app = create_app()
