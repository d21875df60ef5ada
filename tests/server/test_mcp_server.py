"""scripts/mcp_server.py, spawned as an assistant would, spoken to by the MCP SDK's own client.

Over stdio the session lists the tools and the topics resource and calls both tools, getting the
same answers (and the same context string) as the HTTP API on the same index; over streamable HTTP
the same tools answer at /mcp.
"""
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from mcp import Client, StdioServerParameters

from api.main import create_app
from settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "scripts" / "mcp_server.py")
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
WORRY = "is it normal to cry in therapy"


@pytest.fixture(scope="module")
def http_api(small_service, small_index_dir):
    with TestClient(create_app(Settings(index_dir=small_index_dir), service=small_service)) as client:
        yield client


def without_timing(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "took_ms"}


async def stdio_session(index_dir: Path) -> dict:
    """One session over stdio: everything the test checks, gathered while the server runs."""
    # the same model backend as the in-process API it is compared with (EMBEDDING_BACKEND of this run)
    env = OFFLINE | {"EMBEDDING_BACKEND": Settings().embedding_backend}
    params = StdioServerParameters(command=sys.executable, args=[SCRIPT, "--index-dir", str(index_dir)],
                                   env=env, cwd=str(ROOT))
    async with Client(params, read_timeout_seconds=120) as client:
        seen = {"tools": {t.name: t for t in (await client.list_tools()).tools}}
        seen["resources"] = [str(r.uri) for r in (await client.list_resources()).resources]
        seen["topics"] = json.loads((await client.read_resource("counsel://topics")).contents[0].text)
        seen["search"] = await client.call_tool("search_answers", {"query": WORRY, "k": 3})
        seen["context"] = await client.call_tool("get_context", {"query": WORRY, "max_tokens": 90})
        seen["crisis"] = await client.call_tool("get_context", {"query": "i want to end my life tonight"})
        seen["empty"] = await client.call_tool("search_answers", {"query": "  "})
        return seen


@pytest.fixture(scope="module")
def session(small_index_dir):
    return asyncio.run(stdio_session(small_index_dir))


def test_lists_both_tools_with_their_parameters_and_the_topics_resource(session, http_api):
    tools = session["tools"]
    assert set(tools) == {"search_answers", "get_context"}
    assert {"query", "k", "topics"} <= set(tools["search_answers"].input_schema["properties"])
    assert {"query", "max_tokens"} <= set(tools["get_context"].input_schema["properties"])
    assert "tokenizer" in tools["get_context"].input_schema["properties"]["max_tokens"]["description"]
    assert session["resources"] == ["counsel://topics"]
    assert session["topics"] == http_api.get("/v1/topics").json()


def test_search_answers_gives_what_the_http_api_gives(session, http_api):
    result = session["search"]
    http = http_api.post("/v1/search", json={"query": WORRY, "k": 3}).json()
    assert not result.is_error
    got = result.structured_content
    assert [r["answer_id"] for r in got["results"]] == [r["answer_id"] for r in http["results"]]
    assert [r["score"] for r in got["results"]] == pytest.approx([r["score"] for r in http["results"]], abs=1e-4)
    assert got["safety"] == http["safety"]
    text = result.content[0].text
    assert http["results"][0]["question_url"] in text and "[1] " in text


def test_get_context_gives_what_the_http_api_gives(session, http_api):
    result = session["context"]
    http = http_api.post("/v1/context", json={"query": WORRY, "max_tokens": 90}).json()
    got = result.structured_content
    assert not result.is_error and got["tokens"] <= 90
    assert without_timing(got) == without_timing(http)
    assert got["context"] in result.content[0].text


def test_a_crisis_puts_the_help_lines_first(session):
    result = session["crisis"]
    assert result.structured_content["safety"]["crisis"] is True
    text = result.content[0].text
    first_resource = result.structured_content["safety"]["resources"][0]["contact"]
    # for high and imminent the instruction to the chatbot opens the text, then the help lines, then the sources
    assert text.startswith(("REPLY INSTRUCTION", "SAFETY FIRST")) and "SAFETY FIRST" in text
    assert text.index(first_resource) < text.index("[1] ")


def test_bad_input_is_a_tool_error_with_the_reason(session):
    assert session["empty"].is_error and "empty" in session["empty"].content[0].text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def http_session(url: str) -> tuple[list[str], dict]:
    async with Client(url) as client:
        tools = sorted(t.name for t in (await client.list_tools()).tools)
        result = await client.call_tool("search_answers", {"query": WORRY, "k": 2})
        return tools, result.structured_content


def test_streamable_http_serves_the_same_tools(small_index_dir, http_api):
    port = free_port()
    process = subprocess.Popen([sys.executable, SCRIPT, "--index-dir", str(small_index_dir), "--http",
                                "--port", str(port)], cwd=ROOT, env={**os.environ, **OFFLINE},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:  # listening once the model and index are loaded
            assert process.poll() is None, process.stderr.read()
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "the MCP HTTP server did not start"
            time.sleep(0.3)
        tools, got = asyncio.run(http_session(f"http://127.0.0.1:{port}/mcp"))
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert tools == ["get_context", "search_answers"]
    http = http_api.post("/v1/search", json={"query": WORRY, "k": 2}).json()
    assert [r["answer_id"] for r in got["results"]] == [r["answer_id"] for r in http["results"]]
