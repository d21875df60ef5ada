"""GET /metrics: Prometheus text exposition (request, search-stage, index, reload and crisis metrics)."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from api.deps import get_state
from api.state import AppState

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus text format. Labels never carry query text."}})
def metrics(state: AppState = Depends(get_state)) -> Response:
    body, content_type = state.metrics.exposition()
    return Response(content=body, media_type=content_type)
