"""The OpenAPI document states what THIS deployment enforces, so a client generated from it is right.

FastAPI generates the document from the typed models (api/models.py, the single source of the
schema) and the routes. What depends on the deployment is marked in the models (`FILLED`) and
filled in here, per app, from the search service that enforces it:

- `maxLength` of a query: the service's MAX_QUERY_CHARS;
- `maximum` of k: its MAX_K;
- the topic keys: an `enum` of the topics of the index being served. A reload that brings other
  topics changes the document; before the first index is loaded the topics stay plain strings
  (searches answer 503 until then anyway).
"""
from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI

from api.models import FILLED
from api.state import AppState


def deployment_facts(state: AppState) -> tuple[int, int, tuple[str, ...] | None]:
    """(MAX_QUERY_CHARS, MAX_K, topic keys) as the service enforces them now; settings before it loads."""
    service = state.service
    if service is None:
        return state.settings.max_query_chars, state.settings.max_k, None
    return service.limits.max_query_chars, service.limits.max_k, tuple(sorted(service.index.topics))


def fill(node: Any, max_query_chars: int, max_k: int, topics: tuple[str, ...] | None) -> None:
    """Replace every `FILLED` marker under `node` (in place) by the keyword it stands for."""
    if isinstance(node, list):
        for item in node:
            fill(item, max_query_chars, max_k, topics)
        return
    if not isinstance(node, dict):
        return
    marker = node.pop(FILLED, None)
    if marker == "max_query_chars":
        node["maxLength"] = max_query_chars
    elif marker == "max_k":
        node["maximum"] = max_k
    elif marker == "topics" and topics is not None:
        for array in _arrays(node):
            array["items"] = {**array.get("items", {}), "enum": list(topics)}
    for value in node.values():
        fill(value, max_query_chars, max_k, topics)


def _arrays(schema: dict) -> list[dict]:
    """The array schemas of a (possibly optional: anyOf [array, null]) list field."""
    if schema.get("type") == "array":
        return [schema]
    return [option for option in schema.get("anyOf", []) if isinstance(option, dict) and option.get("type") == "array"]


def install_openapi(app: FastAPI, state: AppState) -> None:
    """Serve the document filled in for this deployment (rebuilt when what it states changes)."""
    generate = app.openapi  # FastAPI's own generation, from the models and routes (cached by FastAPI)
    built: dict[tuple, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        facts = deployment_facts(state)
        if facts not in built:
            document = copy.deepcopy(generate())
            fill(document, *facts)
            built.clear()  # one deployment state at a time
            built[facts] = document
        return built[facts]

    app.openapi = openapi  # type: ignore[method-assign]  # /openapi.json and /docs call app.openapi()
