"""FastAPI dependencies: the app state and the ready search service, instead of globals.

They are `async def` on purpose: they only read attributes, and FastAPI runs a plain `def`
dependency on its worker thread pool, a thread hop per dependency per request (measured: about
1 ms of a search request's latency for the two a search uses).
"""
from __future__ import annotations

import hmac

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.reloader import IndexReloader
from api.state import AppState
from retriever.service import SearchService

_bearer = HTTPBearer(auto_error=False, description="ADMIN_TOKEN")


async def get_state(request: Request) -> AppState:
    return request.app.state.counsel


async def get_service(request: Request) -> SearchService:
    state: AppState = request.app.state.counsel
    if state.service is None:
        raise HTTPException(status_code=503, detail=f"the index is not ready ({state.status})",
                            headers={"Retry-After": "2"})
    return state.service


async def get_reloader(request: Request) -> IndexReloader:
    return request.app.state.reloader


async def require_admin(state: AppState = Depends(get_state),
                  credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
    """Admin routes need `Authorization: Bearer <ADMIN_TOKEN>`; with no token configured they are off."""
    token = state.settings.admin_token.get_secret_value() if state.settings.admin_token is not None else ""
    if not token:
        raise HTTPException(status_code=404, detail="the admin API is disabled: set ADMIN_TOKEN to enable it")
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
        raise HTTPException(status_code=401, detail="admin token missing or wrong: send Authorization: Bearer <ADMIN_TOKEN>",
                            headers={"WWW-Authenticate": "Bearer"})
