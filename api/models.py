"""Request and response models: the single source of the API's schema (served at /docs)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MAX_K = 50  # the schema's bound; the service enforces the configured limit too


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"query": "is it normal to cry during therapy", "k": 5}]})

    query: str = Field(..., description="The worry, in the person's own words.", max_length=100_000)
    k: int = Field(10, ge=1, le=MAX_K, description="How many answers to return.")
    topics: list[str] | None = Field(None, max_length=40, description="Only answers under these topics (see /v1/topics).")


class Highlight(BaseModel):
    start: int = Field(..., description="Offset of the passage in `answer` (characters).")
    end: int
    text: str = Field(..., description="The passage of the answer closest to the worry.")


class SearchResult(BaseModel):
    answer_id: str = Field(..., description="Stable id of the answer; the same across rebuilds of the same data.")
    question_id: str = Field(..., description="Stable id of the question: the last path segment of its link.")
    question_title: str
    question_text: str
    question_url: str
    answer: str = Field(..., description="The therapist's answer, cleaned for display.")
    topic: str
    topics: list[str]
    therapist: str
    therapist_url: str
    upvotes: int
    views: int
    score: float = Field(..., description="Fused ranking score (higher is better; not a probability).")
    confidence: float = Field(..., ge=0, le=1, description="Calibrated probability (0..1) that this answer fits "
                              "the worry; see README \"Evaluation\".")
    highlight: Highlight | None = None


class SearchResponse(BaseModel):
    query: str
    results: list[SearchResult]
    took_ms: float
    index_version: str
    low_confidence: bool = Field(False, description="True when even the best answer is a poor match: say that "
                                 "nothing here fits well instead of presenting it as the answer.")


class AnswerDetail(SearchResult):
    score: float | None = None  # type: ignore[assignment]
    confidence: float | None = None  # type: ignore[assignment]  # no worry to compare with
    answer_original: str = Field(..., description="The answer exactly as in the source data.")


class TopicCount(BaseModel):
    topic: str
    answers: int


class TopicsResponse(BaseModel):
    topics: list[TopicCount]


class IndexInfo(BaseModel):
    version: str
    model: str
    dimension: int
    answers: int
    questions: int
    passages: int
    built_at: str
    corpus_sha256: str


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str = Field(..., description="ready, loading, failed or draining")
    detail: str | None = None
    index: IndexInfo | None = None


class ErrorItem(BaseModel):
    location: str
    message: str


class ErrorResponse(BaseModel):
    detail: str = Field(..., description="What was wrong, in a sentence.")
    errors: list[ErrorItem] = Field(default_factory=list)
