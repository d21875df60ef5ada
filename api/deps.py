"""FastAPI dependencies: the app state and the ready search service, instead of globals."""
from __future__ import annotations

from fastapi import HTTPException, Request

from api.state import AppState
from retriever.service import SearchService


def get_state(request: Request) -> AppState:
    return request.app.state.counsel


def get_service(request: Request) -> SearchService:
    state: AppState = request.app.state.counsel
    if state.service is None:
        raise HTTPException(status_code=503, detail=f"the index is not ready ({state.status})",
                            headers={"Retry-After": "2"})
    return state.service
