"""From ranker objects to API models (one place, shared by every route that returns answers)."""
from __future__ import annotations

from api.models import AnswerDetail, Highlight, IndexInfo, SearchResult
from index.corpus import Answer
from index.layout import Manifest
from retriever.ranking import RankedAnswer


def _answer_fields(answer: Answer) -> dict:
    return dict(answer_id=answer.answer_id, question_id=answer.question_id, question_title=answer.question_title,
                question_text=answer.question_text, question_url=answer.question_url, answer=answer.answer,
                topic=answer.topic, topics=answer.topics, therapist=answer.therapist,
                therapist_url=answer.therapist_url, upvotes=answer.upvotes, views=answer.views)


def search_result(ranked: RankedAnswer) -> SearchResult:
    highlight = None
    if ranked.highlight is not None:
        p = ranked.highlight
        highlight = Highlight(start=p.start, end=p.end, text=ranked.answer.answer[p.start:p.end])
    return SearchResult(**_answer_fields(ranked.answer), score=round(ranked.score, 6), highlight=highlight)


def answer_detail(answer: Answer) -> AnswerDetail:
    return AnswerDetail(**_answer_fields(answer), answer_original=answer.answer_original)


def index_info(manifest: Manifest, reload_error: str | None = None) -> IndexInfo:
    return IndexInfo(version=manifest.version, model=manifest.model, dimension=manifest.dimension,
                     answers=manifest.answers, questions=manifest.questions, passages=manifest.passages,
                     built_at=manifest.built_at, corpus_sha256=manifest.corpus_sha256, reload_error=reload_error)
