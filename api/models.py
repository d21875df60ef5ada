"""Request and response models: the single source of the API's schema (served at /docs)."""
from __future__ import annotations

from typing import Literal

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
    highlight: Highlight | None = None


class SafetyResource(BaseModel):
    name: str = Field(..., description="Who to contact, e.g. \"988 Suicide & Crisis Lifeline\".")
    contact: str = Field(..., description="How, in words a person can act on: \"Call or text 988\".")
    url: str | None = None
    description: str | None = None


class Safety(BaseModel):
    """The crisis check of this query. Clients show `resources` prominently, above the results,
    when `crisis` is true; they are present on every response so help is always one glance away."""

    crisis: bool = Field(..., description="The query may come from a person in danger (or the check failed: see `error`).")
    categories: list[str] = Field(default_factory=list,
                                  description="Some of suicide, self_harm, overdose, violence, child_at_risk.")
    resources: list[SafetyResource] = Field(..., description="Help lines for the region; those for the flagged "
                                                             "categories first.")
    error: str | None = Field(None, description="Set when the check itself failed; `crisis` is then true, to be safe.")


class SearchResponse(BaseModel):
    query: str
    results: list[SearchResult]
    took_ms: float
    index_version: str
    safety: Safety
    notice: str = Field(..., description="These are public answers from 2020, not a substitute for professional help.")


class AnswerDetail(SearchResult):
    score: float | None = None  # type: ignore[assignment]
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
    reload_error: str | None = Field(None, description="Why the newest index version was refused, if it was; "
                                                       "this (older) version keeps serving meanwhile.")


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str = Field(..., description="ready, loading, failed or draining")
    detail: str | None = None
    index: IndexInfo | None = None


class ReloadResponse(BaseModel):
    status: Literal["swapped", "unchanged", "refused", "loading", "started", "running"] = Field(
        ..., description="swapped: the new version serves now; unchanged: `current` is already served; "
                         "refused: it failed to load, the old one keeps serving; loading: the first load is "
                         "still running; started/running: a background reload was started / is running.")
    serving_version: str | None = Field(None, description="The version serving after this call.")
    target_version: str | None = Field(None, description="The version `current` points at.")
    detail: str | None = None
    last_reload_at: str | None = None
    last_checked_at: str | None = None
    poll_seconds: float = Field(..., description="RELOAD_POLL_SECONDS (0 = no polling).")


class ErrorItem(BaseModel):
    location: str
    message: str


class ErrorResponse(BaseModel):
    detail: str = Field(..., description="What was wrong, in a sentence.")
    errors: list[ErrorItem] = Field(default_factory=list)
