"""The Model Context Protocol face of the service: tools an assistant can call, and the topics.

Tools `search_answers` and `get_context` run the SAME code as POST /v1/search and POST /v1/context
(the service's `search` and `retriever.context.gather_context`, converted by `api.convert` into
the API's own models), in-process: no HTTP hop, and an MCP client gets exactly the answers the
HTTP API gives. Each tool returns both:

- `structuredContent`: the API's JSON (SearchResponse / ContextResponse), for programs;
- text content for the model that reads it, with the crisis check FIRST: when a worry may come
  from a person in danger, the help lines open the text, before any therapist's words.

It lives in `api/` because it speaks the API's schema; `scripts/mcp_server.py` starts it.
"""
from __future__ import annotations

import json
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from api.convert import context_response, search_response, topics_response
from api.models import CONTEXT_TOKENIZER_NOTE, ContextResponse, Safety, SearchResponse
from retriever.context import MAX_CONTEXT_PASSAGES, MAX_CONTEXT_TOKENS, gather_context
from retriever.service import QueryError, SearchService

TOPICS_URI = "counsel://topics"
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
INSTRUCTIONS = (
    "Answers licensed therapists wrote publicly (CounselChat, 2020) to questions people asked. Use them to ground a "
    "supportive reply and cite them by number. If a result says the person may be in crisis, give the help lines "
    "first. These answers are not a substitute for professional help."
)


def safety_text(safety: Safety) -> str:
    """The crisis check in words, to open a tool's text when it matters: the reply instruction first
    (imminent, high), then the message for the person and the help lines."""
    if not safety.crisis:
        return ""
    lines = []
    if safety.reply_instruction:
        lines.append(f"REPLY INSTRUCTION ({safety.level}): {safety.reply_instruction}")
    lines.append(f"SAFETY FIRST: this message may come from a person in danger (level {safety.level}"
                 + (f"; {', '.join(safety.categories)}" if safety.categories else "")
                 + ("; the person at risk is someone the writer is worried about" if safety.subject == "someone_else" else "")
                 + ")." + (f" Say to them: {safety.message}" if safety.message else ""))
    lines += [f"- {r.name}: {r.contact}" + (f" ({r.url})" if r.url else "") for r in safety.resources]
    if safety.error:
        lines.append(f"(The safety check itself failed: {safety.error}.)")
    return "\n".join(lines) + "\n\n"


def search_text(response: SearchResponse) -> str:
    lines = [safety_text(response.safety) + response.notice, ""]
    for n, result in enumerate(response.results, 1):
        passage = result.highlight.text if result.highlight else result.answer
        lines.append(f"[{n}] {result.question_title} — {result.therapist} ({result.question_url}), "
                     f"answer_id {result.answer_id}\n{passage}\n")
    if not response.results:
        lines.append("No answers matched.")
    return "\n".join(lines)


def context_text(response: ContextResponse) -> str:
    sources = "\n".join(f"[{p.number}] {p.question_url}" for p in response.passages)
    body = response.context or "No passage fits in max_tokens; ask for more tokens."
    return f"{safety_text(response.safety)}{response.notice}\n\n{body}\n\nSources:\n{sources}".rstrip()


def tool_result(text: str, model) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)],
                          structured_content=model.model_dump(mode="json"))


def build_mcp_server(service: SearchService) -> MCPServer:
    """An MCP server whose tools call `service` directly (one model, one index in this process)."""
    server = MCPServer("counsel-search", instructions=INSTRUCTIONS, version="0.1.0")

    @server.tool(annotations=READ_ONLY)
    def search_answers(
        query: Annotated[str, Field(description="The worry, in the person's own words.")],
        k: Annotated[int, Field(ge=1, le=50, description="How many answers.")] = 5,
        topics: Annotated[list[str] | None, Field(description=f"Only these topics (resource {TOPICS_URI}).")] = None,
    ) -> Annotated[CallToolResult, SearchResponse]:
        """Therapist answers to the questions most similar to a worry, best first, each with the passage
        that matches best, its question link and a stable answer_id; plus the crisis check."""
        try:
            outcome = service.search(query, k, topics)
        except QueryError as error:
            raise ToolError(str(error)) from None
        response = search_response(outcome, service.index.manifest.version)
        return tool_result(search_text(response), response)

    @server.tool(annotations=READ_ONLY)
    def get_context(
        query: Annotated[str, Field(description="The worry, in the person's own words.")],
        max_tokens: Annotated[int, Field(ge=1, le=MAX_CONTEXT_TOKENS,
                                         description="Budget for the context. " + CONTEXT_TOKENIZER_NOTE)] = 800,
        k: Annotated[int, Field(ge=1, le=MAX_CONTEXT_PASSAGES, description="At most this many passages.")] = 5,
        topics: Annotated[list[str] | None, Field(description=f"Only these topics (resource {TOPICS_URI}).")] = None,
    ) -> Annotated[CallToolResult, ContextResponse]:
        """Ready-to-cite context for a reply: the best distinct passages therapists wrote about a similar
        worry, numbered [1], [2]... and packed to fit max_tokens, with their sources; crisis check first."""
        try:
            outcome = gather_context(service, query, max_tokens, k, topics)
        except QueryError as error:
            raise ToolError(str(error)) from None
        response = context_response(outcome, service.index.manifest.version)
        return tool_result(context_text(response), response)

    @server.resource(TOPICS_URI, name="topics", mime_type="application/json",
                     description="The topics answers are filed under, with how many answers each has.")
    def topics() -> str:
        return json.dumps(topics_response(service.index).model_dump(mode="json"))

    return server
