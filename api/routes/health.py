"""Liveness and readiness probes."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.convert import index_info
from api.deps import get_state
from api.models import Health, Readiness, VectorStoreState
from api.state import AppState
from index.backends import store_state

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is alive (it may still be loading)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(state: AppState = Depends(get_state)):
    """200 once the model and index are loaded; 503 while loading, after a failed load, or while
    draining for shutdown (so a load balancer stops sending traffic before the server stops), and
    while a shared vector engine (Milvus) does not answer. Reports each store's entity counts. When a
    newer index version was refused, `detail` says why (the serving one stays ready). `safety_warnings`
    names safety defaults the serving index or model lacks (an index built without the lethal-means tags)."""
    if state.draining:
        body = Readiness(status="draining", detail="shutting down; requests in flight are being finished")
        return JSONResponse(status_code=503, content=body.model_dump())
    if state.service is None:
        body = Readiness(status=state.status, detail=state.detail)
        return JSONResponse(status_code=503, content=body.model_dump())
    index = state.service.index
    try:
        stores = {name: VectorStoreState(**store_state(store))
                  for name, store in (("questions", index.question_store), ("passages", index.passage_store))}
    except Exception as error:  # a shared engine (Milvus) that stopped answering: not ready to search
        body = Readiness(status="unavailable", detail=f"vector store unreachable: {error}",
                         index=index_info(index.manifest, state.reload_error))
        return JSONResponse(status_code=503, content=body.model_dump())
    # A refused reload does not make the process unready: the previous version keeps serving. Nor does a
    # missing safety default, but it is said plainly (safety_warnings) so an operator rebuilds.
    return Readiness(status="ready", detail=state.reload_error, index=index_info(index.manifest, state.reload_error),
                     vector_stores=stores, safety_warnings=state.service.safety_warnings())
