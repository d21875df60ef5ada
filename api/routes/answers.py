"""Looking up one answer by its stable id, the topic list, and the serving index."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from api.convert import answer_detail, index_info, topics_response
from api.deps import get_service, get_state
from api.models import AnswerDetail, ErrorResponse, IndexInfo, TopicsResponse
from api.state import AppState
from retriever.service import SearchService

router = APIRouter(prefix="/v1", tags=["answers"])


@router.get("/answers/{answer_id}", response_model=AnswerDetail,
            responses={404: {"model": ErrorResponse}, 503: {"model": ErrorResponse}})
def get_answer(answer_id: str, service: SearchService = Depends(get_service)) -> AnswerDetail:
    answer = service.index.answer_by_id.get(answer_id)
    if answer is None:
        raise HTTPException(status_code=404, detail=f"no answer with id {answer_id!r}")
    return answer_detail(answer)


@router.get("/topics", response_model=TopicsResponse, responses={503: {"model": ErrorResponse}})
def topics(service: SearchService = Depends(get_service)) -> TopicsResponse:
    """Every topic with its number of answers, most common first."""
    return topics_response(service.index)


@router.get("/index", response_model=IndexInfo, responses={503: {"model": ErrorResponse}})
def serving_index(service: SearchService = Depends(get_service), state: AppState = Depends(get_state)) -> IndexInfo:
    """The index version being served: model, counts, build time, and why a newer one was refused (if so)."""
    return index_info(service.index.manifest, state.reload_error)
