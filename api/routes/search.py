"""Search endpoints: POST /v1/search (JSON) and GET /v1/search (links and quick tests)."""
from __future__ import annotations

import asyncio
import contextvars
import functools
from typing import Annotated, Callable, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from api.convert import search_response
from api.deps import get_service, get_state
from api.logging_setup import note_query
from api.models import MAX_PER_QUESTION, MAX_RELATED, K_LIMIT, QUERY_DESCRIPTION, QUERY_SCHEMA, TOPIC_KEYS, TOPICS_DESCRIPTION, ErrorResponse, SearchRequest, SearchResponse
from api.state import AppState
from retriever.service import QueryError, SearchOutcome, SearchService

T = TypeVar("T")
router = APIRouter(prefix="/v1", tags=["search"])
ERRORS = {422: {"model": ErrorResponse}, 503: {"model": ErrorResponse},
          504: {"model": ErrorResponse, "description": "The search took longer than SEARCH_TIMEOUT_S."}}
# What a route that takes a JSON body may answer besides: a body not labelled as JSON.
BODY_ERRORS = {**ERRORS, 415: {"model": ErrorResponse, "description": "The body is not sent as JSON: send it "
                                                                      "with content-type: application/json."}}


async def on_search_threads(state: AppState, work: Callable[..., T], *args) -> T:
    """Run CPU-bound search work on the search threads, within the timeout; errors become 422/504.

    Every route that encodes or ranks goes through here (single, batch, context), so they share
    one thread pool, one timeout and one mapping of `QueryError` to a 422.
    """
    timeout = state.settings.search_timeout_s
    try:
        in_context = functools.partial(contextvars.copy_context().run, work, *args)  # keeps the request id
        running = asyncio.get_running_loop().run_in_executor(state.search_pool, in_context)
        return await asyncio.wait_for(running, timeout)  # the wait for a free search thread counts too
    except QueryError as error:
        raise HTTPException(status_code=422, detail=str(error)) from None
    except asyncio.TimeoutError:
        state.metrics.record_search_timeout()
        raise HTTPException(status_code=504, detail=f"the search took longer than {timeout:g} s; please try again",
                            headers={"Retry-After": "1"}) from None


async def run_search(http: Request, state: AppState, service: SearchService, query: str, k: int,
                     topics: list[str] | None, *, group_by: str = "answer", per_question: int = 3,
                     explain: bool = False, facets: bool = False, spellcheck: bool = False,
                     related: int = 0) -> SearchResponse:
    """Validate and rank on the search threads (encoding and ranking are CPU-bound), within the timeout."""
    note_query(http, query)
    grouped = group_by == "question"
    work = functools.partial(service.search, query, k, topics, per_question=per_question if grouped else None,
                             facets=facets, spellcheck=spellcheck)
    outcome = await on_search_threads(state, work)
    observe(state, outcome)
    return search_response(outcome, outcome.index_version, index=outcome.index if grouped else None, explain=explain,
                           related=related if grouped else 0)


def observe(state: AppState, outcome: SearchOutcome) -> None:
    """Count one search in the metrics: its stage timings, and whether it was flagged as a crisis."""
    state.metrics.observe_search_stages(outcome.timings_ms)
    if outcome.safety.crisis:
        state.metrics.record_crisis_flag()


@router.post("/search", response_model=SearchResponse, responses=BODY_ERRORS)
async def search(request: SearchRequest, http: Request, state: AppState = Depends(get_state),
                 service: SearchService = Depends(get_service)) -> SearchResponse:
    """Rank therapist answers for a worry."""
    return await run_search(http, state, service, request.query, request.k, request.topics,
                            group_by=request.group_by, per_question=request.per_question, explain=request.explain,
                            facets=request.facets, spellcheck=request.spellcheck, related=request.related)


@router.get("/search", response_model=SearchResponse, responses=ERRORS)
async def search_get(
    http: Request,
    q: Annotated[str, Query(description=QUERY_DESCRIPTION, json_schema_extra=QUERY_SCHEMA)],
    k: Annotated[int, Query(ge=1, description="How many answers (1 to MAX_K, 50 by default).",
                            json_schema_extra=K_LIMIT)] = 10,
    topic: Annotated[list[str] | None, Query(description=TOPICS_DESCRIPTION + " Repeat for several.",
                                             json_schema_extra=TOPIC_KEYS)] = None,
    group_by: Annotated[Literal["answer", "question"], Query(description="As in POST.")] = "answer",
    per_question: Annotated[int, Query(ge=1, le=MAX_PER_QUESTION, description="As in POST.")] = 3,
    explain: Annotated[bool, Query(description="As in POST.")] = False,
    facets: Annotated[bool, Query(description="As in POST.")] = False,
    spellcheck: Annotated[bool, Query(description="As in POST.")] = False,
    related: Annotated[int, Query(ge=0, le=MAX_RELATED, description="As in POST.")] = 0,
    state: AppState = Depends(get_state),
    service: SearchService = Depends(get_service),
) -> SearchResponse:
    """The same search as POST, for links and quick tests (and the page)."""
    return await run_search(http, state, service, q, k, topic, group_by=group_by, per_question=per_question,
                            explain=explain, facets=facets, spellcheck=spellcheck, related=related)
