"""GET /v1/suggest: question titles as a person types, or the help line for a crisis-looking prefix.

A keystroke must answer fast (the page's budget is 50 ms from key to paint, benchmarks/bench_page.py),
so the lookup runs on the event loop: a few binary searches in the suggestion index built with the
loaded index (retriever/suggest.py), and the crisis lexicon over a short prefix, well under a
millisecond; no thread hop, no model. The prefix is never logged, not even with LOG_QUERIES (a
keystroke is not a search), and the answer is never stored (Cache-Control: no-store).
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.convert import safety_resources
from api.deps import get_service
from api.models import MAX_SUGGEST_CHARS, MAX_SUGGESTIONS, ErrorResponse, Suggestion, SuggestResponse
from retriever.safety.taxonomy import IMMINENT
from retriever.service import SearchService

router = APIRouter(prefix="/v1", tags=["search"])


@router.get("/suggest", response_model=SuggestResponse,
            responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}})
async def suggest(
    q: Annotated[str, Query(max_length=MAX_SUGGEST_CHARS, description="What has been typed so far (suggestions "
                                                                      "start at 2 letters).")],
    limit: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS, description="At most this many suggestions.")] = 8,
    service: SearchService = Depends(get_service),
) -> SuggestResponse:
    """Question titles that continue `q`; none, and `crisis` with the help lines, when `q` looks like a crisis."""
    found = service.aids.suggestions.suggest(q, limit)
    return SuggestResponse(
        suggestions=[Suggestion(question_id=s.question_id, title=s.title, answers=s.answers) for s in found.suggestions],
        crisis=found.crisis,
        help=safety_resources(service.safety.resources.ordered((), IMMINENT)) if found.crisis else [])
