"""Request and response models: the single source of the API's schema (served at /docs)."""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

# Request models are strict: JSON `true` or `"5"` is not an integer here (pydantic's lax mode would
# coerce them, so the service would accept what the schema calls invalid), nor `5.5` a whole number.
STRICT_REQUEST = ConfigDict(extra="forbid", strict=True)
MAX_PER_QUESTION = 10  # answers per question when grouped (the service's limit too: retriever/service.py)
MAX_RELATED = 5  # related questions per question (retriever/related.py)
MAX_SUGGEST_CHARS = 200  # a prefix longer than this is a worry, not a prefix: search it
MAX_SUGGESTIONS = 10  # suggestions per keystroke (retriever/suggest.py)


def _whole_number(value):
    """JSON Schema (2020-12, OpenAPI 3.1's) counts 5.0 as an integer: take it as 5; anything else stays as sent."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: An integer of a request: a JSON number without a fractional part (never a boolean or a string).
Integer = Annotated[int, BeforeValidator(_whole_number)]

# What depends on the deployment is marked here and filled into the OpenAPI document by api/openapi.py:
# the service's configured limits (MAX_QUERY_CHARS, MAX_K) and the topic keys of the index it serves.
# The service enforces them (retriever/service.py `validate`), each with a sentence in `detail`.
FILLED = "x-counsel-filled"
QUERY_LIMIT = {FILLED: "max_query_chars"}  # -> maxLength
K_LIMIT = {FILLED: "max_k"}  # -> maximum
TOPIC_KEYS = {FILLED: "topics"}  # -> the items' enum
# At least one character that is not white space, white space being exactly what Python's str.strip()
# removes (the service trims with it). Spelled out: `\s` means other sets in other regex dialects.
WHITE_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = f"[^{WHITE_SPACE}]"
QUERY_SCHEMA = {"minLength": 1, "pattern": NOT_BLANK, **QUERY_LIMIT}
QUERY_DESCRIPTION = ("The worry, in the person's own words: at most MAX_QUERY_CHARS characters (2,000 by default; "
                     "`maxLength`), counted as sent, and not only white space. White space at either end is "
                     "trimmed before the search.")
TOPICS_DESCRIPTION = "Only answers under these topics: keys from /v1/topics (the served index's, listed in `enum`)."


class SearchRequest(BaseModel):
    model_config = ConfigDict(**STRICT_REQUEST, json_schema_extra={
        "examples": [{"query": "is it normal to cry during therapy", "k": 5}]})

    query: str = Field(..., description=QUERY_DESCRIPTION, json_schema_extra=QUERY_SCHEMA)
    k: Integer = Field(10, ge=1, description="How many answers to return (1 to MAX_K, 50 by default).",
                   json_schema_extra=K_LIMIT)
    topics: list[str] | None = Field(None, max_length=40, description=TOPICS_DESCRIPTION, json_schema_extra=TOPIC_KEYS)
    group_by: Literal["answer", "question"] = Field(
        "answer", description="`answer` (default, for chatbots): a flat list of answers. `question`: also `questions`, "
                              "each question once with its best answers nested (for pages: several distinct questions "
                              "on the first screen); `k` then counts questions.")
    per_question: Integer = Field(3, ge=1, le=MAX_PER_QUESTION, description="With group_by `question`: at most this "
                                                                            "many answers per question.")
    explain: bool = Field(False, description="Add each result's ranking signals (`signals`): why it ranked where it did.")
    facets: bool = Field(False, description="Add `facets`: per topic, how many of the matching questions and answers "
                                            "(the ranker's candidates, without the `topics` filter) fall under it.")
    spellcheck: bool = Field(False, description="Offer the query with misspelled words corrected (`did_you_mean`), "
                                                "from the corpus's own words; when the original finds nothing that "
                                                "fits, the corrected query's results are returned (`used`).")
    related: Integer = Field(0, ge=0, le=MAX_RELATED, description="With group_by `question`: add each question's "
                                                                  "nearest questions by vector (`related`), at most "
                                                                  "this many.")


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
    therapist: str = Field(..., description="The therapist's name.")
    credentials: str = Field("", description="What their profile shows after the name: letters and title line "
                                             "(\"LCSW, Couples Therapist\"); empty when there are none.")
    therapist_url: str
    upvotes: int
    views: int
    score: float = Field(..., description="Fused ranking score (higher is better; not a probability).")
    confidence: float = Field(..., ge=0, le=1, description="Calibrated probability (0..1) that this answer fits "
                              "the worry; see README \"Evaluation\".")
    highlight: Highlight | None = None
    signals: dict[str, float] | None = Field(None, description="With `explain`: the named signals the ranking read "
                                             "(cosines to the question's title, body and both, to the answer's "
                                             "passages, BM25 of question and answer, ...; docs/ranking.md).")


class RelatedQuestion(BaseModel):
    question_id: str
    question_title: str
    topics: list[str]
    answers: int = Field(..., description="How many answers the question has.")
    similarity: float = Field(..., description="Cosine of the two questions' vectors (title and body).")


class QuestionGroup(BaseModel):
    """One question with its best answers, when results are grouped by question."""

    question_id: str
    question_title: str
    question_text: str
    question_url: str
    topics: list[str]
    score: float = Field(..., description="The score of its best answer.")
    confidence: float = Field(..., ge=0, le=1, description="The confidence of its best answer.")
    answers: list[SearchResult] = Field(..., description="Its best answers for the worry, best first.")
    more_answers: int = Field(..., ge=0, description="Answers to this question not shown here (see /v1/questions/{id}).")
    related: list[RelatedQuestion] | None = Field(None, description="With `related`: its nearest questions.")


class SafetyResource(BaseModel):
    name: str = Field(..., description="Who to contact, e.g. \"988 Suicide & Crisis Lifeline\".")
    contact: str = Field(..., description="How, in words a person can act on: \"Call or text 988\".")
    url: str | None = Field(None, description="A link: the line's site, or tel: for the emergency number.")
    description: str | None = None
    emergency: bool = Field(False, description="The emergency number (911 / 999 / 112): first for `imminent`.")


class Safety(BaseModel):
    """The crisis check of this query. Clients show `message` and `resources` prominently, above the
    results, when `crisis` is true (for `imminent`: above everything, the emergency number first, not
    dismissible); resources are present on every response so help is always one glance away."""

    crisis: bool = Field(..., description="The query may come from a person in danger (any level but `none`), or "
                                          "the check failed (see `error`).")
    level: Literal["imminent", "high", "concern", "none"] = Field(
        ..., description="imminent: danger now or within hours (emergency number first); high: a current danger; "
                         "concern: a passive wish to be dead, someone else at risk, a past attempt with distress now; "
                         "none: not a crisis (idioms, the past, professionals' or fiction's stories).")
    categories: list[Literal["suicide", "self_harm", "overdose", "violence", "child_at_risk", "harm_to_others",
                             "medical", "psychosis"]] = Field(
        default_factory=list, description="The kinds of danger, which pick the help lines (README \"Crisis safety\").")
    subject: Literal["self", "someone_else"] = Field(
        "self", description="Who may be at risk: the writer, or someone they are worried about (resources are then "
                            "framed for helping them).")
    language: str = Field("en", description="The language the message reads as (`es`: Spanish resources; the "
                                            "answers themselves stay in English).")
    message: str | None = Field(None, description="One sentence for the person, in their language: what to do now "
                                                  "(crisis), or a gentle word when the message touches these topics.")
    reply_instruction: str | None = Field(None, description="For chatbots, on `imminent` and `high`: reply with this "
                                                            "first, resources before any passage.")
    resources: list[SafetyResource] = Field(..., description="Help lines for the region and language; for imminent "
                                                             "the emergency number and the crisis line first, then "
                                                             "those for the flagged categories.")
    error: str | None = Field(None, description="Set when the check itself failed; `crisis` is then true, to be safe.")


class TopicFacet(BaseModel):
    topic: str
    questions: int = Field(..., description="Matching questions under this topic.")
    answers: int = Field(..., description="Matching answers under this topic.")


class DidYouMean(BaseModel):
    query: str = Field(..., description="The query with its misspelled words corrected.")
    used: bool = Field(..., description="The results are the corrected query's: the original found nothing that fits.")
    original: str = Field(..., description="The query as sent.")


class SearchResponse(BaseModel):
    query: str
    results: list[SearchResult] = Field(..., description="The answers, best first (grouped by question: in the order "
                                                         "of `questions`).")
    questions: list[QuestionGroup] | None = Field(None, description="With group_by `question`: the questions in rank "
                                                                    "order, each with its answers.")
    took_ms: float
    index_version: str
    low_confidence: bool = Field(False, description="True when even the best answer is a poor match: say that "
                                 "nothing here fits well instead of presenting it as the answer.")
    safety: Safety
    notice: str = Field(..., description="These are public answers from 2020, not a substitute for professional help.")
    facets: list[TopicFacet] | None = Field(None, description="With `facets` (not for a crisis): topics over the "
                                                              "whole matching set, most questions first.")
    did_you_mean: DidYouMean | None = Field(None, description="With `spellcheck`: a corrected query, when a word "
                                                              "looks misspelled.")


MAX_BATCH = 32  # queries per /v1/search/batch request


class BatchQuery(BaseModel):
    """One query of a batch. Its types are checked with the request (a wrong type fails the whole
    batch); its values are checked by the service, item by item, so a blank or over-long query, a k
    out of range or an unknown topic gets its own error (an item with status 422) instead of failing
    the others. That is why this schema, unlike POST /v1/search's, sets no bounds on the values."""

    model_config = STRICT_REQUEST

    query: str = Field(..., description="The worry, as POST /v1/search takes it (at most MAX_QUERY_CHARS characters "
                                        "as sent, not only white space); otherwise this item's error says why.")
    k: Integer = Field(10, description="How many answers (1 to MAX_K, 50 by default); otherwise this item's error.")
    topics: list[str] | None = Field(None, max_length=40, description="Only answers under these topics (keys from "
                                                                     "/v1/topics); an unknown one is this item's error.")


class BatchSearchRequest(BaseModel):
    model_config = ConfigDict(**STRICT_REQUEST, json_schema_extra={
        "examples": [{"queries": [{"query": "is it normal to cry during therapy", "k": 3},
                                  {"query": "how do i sleep when i am anxious", "k": 3}]}]})

    queries: list[BatchQuery] = Field(..., min_length=1, max_length=MAX_BATCH, description=f"1 to {MAX_BATCH} queries, encoded in one "
                                                                      "model call.")


class BatchResult(BaseModel):
    """A query of the batch that was searched: `response` is what POST /v1/search returns for it."""

    position: int = Field(..., description="Index of the query in the request's `queries`.")
    status: Literal[200]
    response: SearchResponse
    error: None = None


class BatchError(BaseModel):
    """A query of the batch the service refused (the others are still answered)."""

    position: int = Field(..., description="Index of the query in the request's `queries`.")
    status: Literal[422] = Field(..., description="The status this query alone would have got.")
    response: None = None
    error: str = Field(..., description="Why this query could not be searched, in a sentence.")


#: The outcome of one query of a batch, in the order sent: a response or an error, told apart by `status`.
BatchItem = Annotated[Union[BatchResult, BatchError], Field(discriminator="status")]


class BatchSearchResponse(BaseModel):
    items: list[BatchItem]
    took_ms: float
    index_version: str


CONTEXT_TOKENIZER_NOTE = ("Tokens are counted with the embedding model's tokenizer (word pieces of "
                          "all-MiniLM-L6-v2 by default, see `tokenizer`) over the WHOLE `context` string, citation "
                          "headers included; a chatbot's own tokenizer counts differently, so leave a margin.")


class ContextRequest(BaseModel):
    model_config = ConfigDict(**STRICT_REQUEST, json_schema_extra={
        "examples": [{"query": "i always cry in my counselor's office, is that weird?", "max_tokens": 800, "k": 5}]})

    query: str = Field(..., description=QUERY_DESCRIPTION, json_schema_extra=QUERY_SCHEMA)
    max_tokens: Integer = Field(800, ge=1, le=8000, description="Budget for `context`. " + CONTEXT_TOKENIZER_NOTE)
    k: Integer = Field(5, ge=1, le=20, description="At most this many passages.")
    topics: list[str] | None = Field(None, max_length=40, description=TOPICS_DESCRIPTION, json_schema_extra=TOPIC_KEYS)


class ContextPassage(BaseModel):
    number: int = Field(..., description="The citation number: `[number]` in `context` marks this passage.")
    answer_id: str = Field(..., description="Stable id of the answer the passage comes from (see /v1/answers/{id}).")
    question_id: str
    question_title: str
    question_url: str = Field(..., description="Link to cite: the public question and its answers.")
    therapist: str = Field(..., description="The therapist's name (as cited in `context`).")
    credentials: str = Field("", description="Their letters and title line, as their profile shows them.")
    passage: str = Field(..., description="The passage as packed into `context`.")
    start: int = Field(..., description="Offset of the (untrimmed) passage in the answer (characters).")
    end: int
    truncated: bool = Field(..., description="The passage was cut at a word boundary (ending in \u2026) to fit.")
    score: float = Field(..., description="Ranking score of the answer (higher is better; not a probability).")


class ContextResponse(BaseModel):
    reply_instruction: str | None = Field(None, description="Set on `imminent` and `high`: how to open the reply (the "
                                                            "help lines before any passage). Follow it first.")
    query: str
    safety: Safety = Field(..., description="The crisis check of this query, first: when `crisis` is true, reply with "
                                            "the `resources` before (or instead of) anything grounded in `context`.")
    notice: str = Field(..., description="These are public answers from 2020, not a substitute for professional help.")
    context: str = Field(..., description="Ready to paste into a prompt: each passage under its citation "
                                          "`[n] <therapist>, answering \"<question>\":`, best first.")
    passages: list[ContextPassage] = Field(..., description="The cited passages; `passages[n-1]` is `[n]`.")
    tokens: int = Field(..., description="Tokens in `context` (never more than `max_tokens`). " + CONTEXT_TOKENIZER_NOTE)
    max_tokens: int
    tokenizer: str = Field(..., description="The model whose tokenizer counted `tokens`.")
    duplicates_skipped: int = Field(..., description="Ranked passages left out as (near-)duplicates of packed ones.")
    took_ms: float
    index_version: str


class AnswerDetail(SearchResult):
    score: float | None = None  # type: ignore[assignment]
    confidence: float | None = None  # type: ignore[assignment]  # no worry to compare with
    answer_original: str = Field(..., description="The answer exactly as in the source data.")


class QuestionDetail(BaseModel):
    """One question with all its answers (best voted first) and its nearest questions: the page /q/{id}."""

    question_id: str
    question_title: str
    question_text: str
    question_url: str
    topics: list[str]
    answers: list[AnswerDetail]
    related: list[RelatedQuestion]


class Suggestion(BaseModel):
    question_id: str
    title: str = Field(..., description="A question title that continues what was typed.")
    answers: int


class SuggestResponse(BaseModel):
    suggestions: list[Suggestion] = Field(..., description="Question titles, best first; never a title that "
                                                           "describes a method or reads as a crisis statement.")
    crisis: bool = Field(..., description="What was typed looks like a crisis: show `help`, not suggestions.")
    help: list[SafetyResource] = Field(..., description="With `crisis`: the emergency number and the crisis lines.")


class HelpResponse(BaseModel):
    """The help lines of this deployment's region: what every page links to, in the same place."""

    resources: list[SafetyResource] = Field(..., description="The emergency number and crisis lines first.")
    notice: str


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


class VectorStoreState(BaseModel):
    backend: str = Field(..., description="faiss (in the index directory) or milvus (a shared engine)")
    collection: str | None = Field(None, description="The Milvus collection (null for FAISS).")
    entities: int = Field(..., description="Vectors the engine holds now (a shared collection may be ahead "
                                           "of the serving version while a reindex is in progress).")
    serving: int = Field(..., description="Vectors the serving index version knows.")


class Readiness(BaseModel):
    status: str = Field(..., description="ready, loading, failed, unavailable (vector engine unreachable) or draining")
    detail: str | None = None
    index: IndexInfo | None = None
    vector_stores: dict[str, VectorStoreState] | None = Field(
        None, description="Per store (questions, passages): engine and entity counts.")
    safety_warnings: list[str] = Field(default_factory=list, description="Safety defaults the serving index or model "
                                       "lacks, e.g. an index built without the lethal-means tags (rebuild it).")


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
