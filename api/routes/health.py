"""Liveness and readiness probes."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.convert import index_info
from api.deps import get_state
from api.models import Health, Readiness
from api.state import AppState

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is alive (it may still be loading)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(state: AppState = Depends(get_state)):
    """200 once the model and index are loaded; 503 while loading, after a failed load, or while
    draining for shutdown (so a load balancer stops sending traffic before the server stops).
    When a newer index version was refused, `detail` says why (the serving one stays ready)."""
    if state.draining:
        body = Readiness(status="draining", detail="shutting down; requests in flight are being finished")
        return JSONResponse(status_code=503, content=body.model_dump())
    if state.service is None:
        body = Readiness(status=state.status, detail=state.detail)
        return JSONResponse(status_code=503, content=body.model_dump())
    # A refused reload does not make the process unready: the previous version keeps serving.
    return Readiness(status="ready", detail=state.reload_error,
                     index=index_info(state.service.index.manifest, state.reload_error))
