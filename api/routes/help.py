"""GET /v1/help: the help lines of this deployment's region, for the help every page shows in one place.

WCAG 2.2 3.2.6 (consistent help): the page's "Help now" link sits in the same place on every view
and leads to these lines. They come from the configured resources (SAFETY_REGION,
SAFETY_RESOURCES_FILE: retriever/safety/resources.py), in the order an imminent danger gets them:
the emergency number, then the crisis lines, then the general ones. They answer while the index
is still loading too: help must never wait for search.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends

from api.convert import safety_resources
from api.deps import get_state
from api.models import HelpResponse
from api.state import AppState
from retriever.safety import load_resources
from retriever.safety.taxonomy import IMMINENT

router = APIRouter(prefix="/v1", tags=["help"])


@router.get("/help", response_model=HelpResponse)
async def help_lines(state: AppState = Depends(get_state)) -> HelpResponse:
    """Who to call or text now, whatever was searched (or before anything was: also while the index loads)."""
    service = state.service
    resources = (service.safety.resources if service is not None
                 else load_resources(state.settings.safety_region, state.settings.safety_resources_file))
    return HelpResponse(resources=safety_resources(resources.ordered((), IMMINENT)), notice=resources.notice)
