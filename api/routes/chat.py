"""Endpoints for chatbots: POST /v1/context (citable passages in a token budget) and
POST /v1/search/batch (several worries, one model call).

They reuse the search route's thread pool, timeout and error mapping (`on_search_threads`) and
the one conversion of outcomes to responses (`api.convert`), so a chatbot sees exactly what the
page sees for the same query.
"""
from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request

from api.convert import context_response, search_response
from api.deps import get_service, get_state
from api.logging_setup import note_query
from api.models import BatchError, BatchResult, BatchSearchRequest, BatchSearchResponse, ContextRequest, ContextResponse
from api.routes.search import BODY_ERRORS, observe, on_search_threads
from api.state import AppState
from retriever.context import gather_context
from retriever.service import QueryError, QuerySpec, SearchService

router = APIRouter(prefix="/v1", tags=["chatbots"])


@router.post("/context", response_model=ContextResponse, responses=BODY_ERRORS)
async def context(request: ContextRequest, http: Request, state: AppState = Depends(get_state),
                  service: SearchService = Depends(get_service)) -> ContextResponse:
    """The best passages for a worry, packed into `max_tokens` with numbered citations, ready for a prompt."""
    note_query(http, request.query)
    outcome = await on_search_threads(state, gather_context, service, request.query, request.max_tokens,
                                      request.k, request.topics)
    observe(state, outcome.search)
    return context_response(outcome, service.index.manifest.version)


@router.post("/search/batch", response_model=BatchSearchResponse, responses=BODY_ERRORS)
async def search_batch(request: BatchSearchRequest, http: Request, state: AppState = Depends(get_state),
                       service: SearchService = Depends(get_service)) -> BatchSearchResponse:
    """Up to 32 (MAX_BATCH) searches encoded in one model call; each item has its own results or its own error."""
    started = time.perf_counter()
    note_query(http, "\n".join(q.query for q in request.queries))
    specs = [QuerySpec(q.query, q.k, q.topics) for q in request.queries]
    outcomes = await on_search_threads(state, service.search_batch, specs)
    version = service.index.manifest.version
    items = []
    for position, outcome in enumerate(outcomes):
        if isinstance(outcome, QueryError):
            items.append(BatchError(position=position, status=422, error=str(outcome)))
            continue
        observe(state, outcome)
        items.append(BatchResult(position=position, status=200, response=search_response(outcome, version)))
    return BatchSearchResponse(items=items, took_ms=round((time.perf_counter() - started) * 1000, 2),
                               index_version=version)
