"""Search endpoints: POST /v1/search (JSON) and GET /v1/search (links and quick tests)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from api.convert import search_result
from api.deps import get_service
from api.models import MAX_K, ErrorResponse, SearchRequest, SearchResponse
from retriever.service import QueryError, SearchService

router = APIRouter(prefix="/v1", tags=["search"])
ERRORS = {422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}


async def run_search(service: SearchService, query: str, k: int, topics: list[str] | None) -> SearchResponse:
    """Validate and rank in a worker thread: encoding and search are CPU-bound."""
    try:
        outcome = await run_in_threadpool(service.search, query, k, topics)
    except QueryError as error:
        raise HTTPException(status_code=422, detail=str(error)) from None
    return SearchResponse(query=outcome.query, results=[search_result(r) for r in outcome.ranking.results],
                          took_ms=round(outcome.took_ms, 2), index_version=service.index.manifest.version)


@router.post("/search", response_model=SearchResponse, responses=ERRORS)
async def search(request: SearchRequest, service: SearchService = Depends(get_service)) -> SearchResponse:
    """Rank therapist answers for a worry."""
    return await run_search(service, request.query, request.k, request.topics)


@router.get("/search", response_model=SearchResponse, responses=ERRORS)
async def search_get(
    q: Annotated[str, Query(description="The worry.", max_length=100_000)],
    k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
    topic: Annotated[list[str] | None, Query(description="Topic filter; repeat for several.")] = None,
    service: SearchService = Depends(get_service),
) -> SearchResponse:
    """The same search as POST, for links and quick tests."""
    return await run_search(service, q, k, topic)
