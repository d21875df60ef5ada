"""A small typed Python client for the counsel-search HTTP API, so a chatbot needs no hand-written requests.

    from api.client import CounselClient

    with CounselClient("http://127.0.0.1:8000") as api:
        context = api.context("i always cry in my counselor's office, is that weird?", max_tokens=600)
        if context.safety.crisis:
            ...  # show context.safety.resources first
        prompt = context.context  # cite passages as [n]; context.passages[n-1].question_url is the source

Why it lives in `api/` and not `retriever/`: it returns the API's own pydantic models
(`api.models`, the single source of the schema), so what the client parses is exactly what the
server validates, and a new field appears in both at once. `retriever` may not import `api`
(imports go api -> retriever -> index), and a second, hand-copied set of result classes there would
drift. Importing `api.client` loads only `api.models` (pydantic) and httpx: no FastAPI app, no
model, no index, so it is cheap in a chatbot process.

Errors: a 4xx/5xx answer raises `CounselAPIError` carrying the server's `detail` sentence and
per-field `errors`; transport failures are httpx's own exceptions. Pass `transport=` (a mock, say)
or `http=` (any httpx.Client, such as Starlette's TestClient) to talk to an app without a socket.
"""
from __future__ import annotations

from typing import Sequence, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from api.models import (AnswerDetail, BatchQuery, BatchSearchRequest, BatchSearchResponse, ContextRequest,
                        ContextResponse, ErrorItem, ErrorResponse, Health, IndexInfo, Readiness, SearchRequest,
                        SearchResponse, TopicsResponse)

M = TypeVar("M", bound=BaseModel)


class CounselAPIError(RuntimeError):
    """The API answered with an error status; `detail` is its one-sentence reason."""

    def __init__(self, status_code: int, detail: str, errors: list[ErrorItem] | None = None,
                 retry_after: str | None = None):
        super().__init__(f"{status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail
        self.errors = errors or []
        self.retry_after = retry_after


class CounselClient:
    def __init__(self, base_url: str = "http://127.0.0.1:8000", *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None, headers: dict[str, str] | None = None,
                 http: httpx.Client | None = None):
        """Talk to `base_url`, or through `http` when given (any httpx.Client, e.g. Starlette's TestClient)."""
        self._http = http if http is not None else httpx.Client(base_url=base_url, timeout=timeout,
                                                                 transport=transport, headers=headers)

    def __enter__(self) -> "CounselClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- searching -------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, topics: Sequence[str] | None = None) -> SearchResponse:
        """POST /v1/search: ranked answers for one worry, with the safety block."""
        body = SearchRequest(query=query, k=k, topics=list(topics) if topics else None)
        return self._call("POST", "/v1/search", SearchResponse, body)

    def search_batch(self, queries: Sequence[str | BatchQuery]) -> BatchSearchResponse:
        """POST /v1/search/batch: up to 32 worries in one request; each item has a response or an error."""
        items = [q if isinstance(q, BatchQuery) else BatchQuery(query=q) for q in queries]
        return self._call("POST", "/v1/search/batch", BatchSearchResponse, BatchSearchRequest(queries=items))

    def context(self, query: str, max_tokens: int = 800, k: int = 5,
                topics: Sequence[str] | None = None) -> ContextResponse:
        """POST /v1/context: the best distinct passages packed into `max_tokens`, citations [n]."""
        body = ContextRequest(query=query, max_tokens=max_tokens, k=k, topics=list(topics) if topics else None)
        return self._call("POST", "/v1/context", ContextResponse, body)

    # --- looking up ------------------------------------------------------------------------
    def answer(self, answer_id: str) -> AnswerDetail:
        return self._call("GET", f"/v1/answers/{quote(answer_id, safe='')}", AnswerDetail)

    def topics(self) -> TopicsResponse:
        return self._call("GET", "/v1/topics", TopicsResponse)

    def index(self) -> IndexInfo:
        return self._call("GET", "/v1/index", IndexInfo)

    # --- operations ------------------------------------------------------------------------
    def health(self) -> Health:
        return self._call("GET", "/healthz", Health)

    def ready(self) -> Readiness:
        """GET /readyz; a 503 (loading, failed, draining) is an answer here, not an error."""
        response = self._http.get("/readyz")
        if response.status_code not in (200, 503):
            raise self._error(response)
        return Readiness.model_validate(response.json())

    def metrics(self) -> str:
        """GET /metrics: Prometheus text (when METRICS_ENABLED)."""
        response = self._http.get("/metrics")
        if response.is_error:
            raise self._error(response)
        return response.text

    # ---------------------------------------------------------------------------------------
    def _call(self, method: str, path: str, model: type[M], body: BaseModel | None = None) -> M:
        json = body.model_dump(mode="json", exclude_none=True) if body is not None else None
        response = self._http.request(method, path, json=json)
        if response.is_error:
            raise self._error(response)
        return model.model_validate(response.json())

    @staticmethod
    def _error(response: httpx.Response) -> CounselAPIError:
        try:
            error = ErrorResponse.model_validate(response.json())
            detail, errors = error.detail, error.errors
        except ValueError:  # not our JSON error shape (a proxy's page, say)
            detail, errors = response.text[:200] or response.reason_phrase, []
        return CounselAPIError(response.status_code, detail, errors, response.headers.get("Retry-After"))
