"""GET /v1/questions/{question_id}: one question with all its answers and its nearest questions.

What the page /q/<question_id> shows (linkable and shareable): every therapist's answer with their
profile, not only the ones a search ranked, and the related questions by vector (retriever/related.py).
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from api.convert import question_detail
from api.deps import get_service
from api.models import MAX_RELATED, ErrorResponse, QuestionDetail
from retriever.service import SearchService

router = APIRouter(prefix="/v1", tags=["answers"])


@router.get("/questions/{question_id}", response_model=QuestionDetail,
            responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}})
def get_question(question_id: str, service: SearchService = Depends(get_service),
                 related: Annotated[int, Query(ge=0, le=MAX_RELATED, description="Nearest questions to add.")] = MAX_RELATED,
                 ) -> QuestionDetail:
    serving = service.serving  # one read: the question, its answers and its neighbours from one index version
    question = serving.ranker.index.question_by_id.get(question_id)
    if question is None:
        raise HTTPException(status_code=404, detail=f"no question with id {question_id!r}")
    return question_detail(serving.ranker.index, serving.aids, question, related)
