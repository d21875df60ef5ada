"""Operator endpoints under /v1/admin (bearer token from ADMIN_TOKEN; off when it is unset)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import get_reloader, require_admin
from api.models import ErrorResponse, ReloadResponse
from api.reloader import IndexReloader, ReloadOutcome

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(require_admin)],
                   responses={401: {"model": ErrorResponse, "description": "Token missing or wrong."},
                              404: {"model": ErrorResponse, "description": "The admin API is off (no ADMIN_TOKEN)."}})


@router.post("/reload", response_model=ReloadResponse, status_code=202,
             responses={200: {"model": ReloadResponse, "description": "With wait: swapped or already serving."},
                        409: {"model": ReloadResponse, "description": "With wait: the new version was refused; "
                                                                       "the old one keeps serving."}})
async def reload_index(response: Response, reloader: IndexReloader = Depends(get_reloader),
                       wait: Annotated[bool, Query(description="Answer when the reload is done "
                                                               "(200, or 409 if refused) instead of at once (202).")] = False
                       ) -> ReloadResponse:
    """Load the version the index directory's `current` points at and swap it in; requests in flight
    finish on the old version. A version that fails to load is refused and the old one keeps serving."""
    if not wait:
        return _response(reloader, reloader.reload_in_background())
    outcome = await run_in_threadpool(reloader.reload, True)
    response.status_code = 409 if outcome.status == "refused" else 200
    return _response(reloader, outcome)


def _response(reloader: IndexReloader, outcome: ReloadOutcome) -> ReloadResponse:
    return ReloadResponse(status=outcome.status, serving_version=outcome.serving_version,
                          target_version=outcome.target_version, detail=outcome.detail,
                          last_reload_at=reloader.last_reload_at, last_checked_at=reloader.last_checked_at,
                          poll_seconds=reloader.poll_seconds)
