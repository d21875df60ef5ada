"""The responses shown in README.md and docs/ are what the service returns (on the small corpus the tests write).

Each `curl -s localhost:8000/...` request in a ```bash block that is followed by a
`<!-- response: small corpus -->` ```json block is sent to the service; the shown JSON must match the
response: "…" stands for any value, a dict shows some of the keys, a list its first items ("…" last
when there are more), numbers to 4 decimals. To refresh the shown responses after a deliberate change:

    COUNSEL_UPDATE_DOCS=1 .venv/bin/python -m pytest tests/model/test_documented_examples.py
"""
import json
import os
import re
import shlex
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARK = "<!-- response: small corpus -->"
EXAMPLE = re.compile(r"```bash\n(?P<command>curl -s localhost:8000[^`]*?)```\s*\n" + re.escape(MARK) +
                     r"\s*\n```json\n(?P<json>.*?)```", re.S)
ANY = "…"
VOLATILE = {"took_ms", "index_version"}


def examples():
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for match in EXAMPLE.finditer(text):
            yield document, match


def request_of(command: str) -> tuple[str, str, dict | None]:
    words = shlex.split(command.replace("\\\n", " "))
    url = next(w for w in words if w.startswith("localhost:8000"))
    body = words[words.index("-d") + 1] if "-d" in words else None
    return ("POST" if body else "GET"), url.removeprefix("localhost:8000"), json.loads(body) if body else None


def shown(value, key=None):
    """The response as a document shows it: volatile values as …, long resource lists cut."""
    if key in VOLATILE:
        return ANY
    if isinstance(value, dict):
        return {k: shown(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [shown(v) for v in value]
        return items[:2] + [ANY] if key == "resources" and len(items) > 2 else items
    if isinstance(value, float):
        return round(value, 4)
    return value


def matches(pattern, value) -> bool:
    if pattern == ANY:
        return True
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k == ANY or (k in value and matches(v, value[k]))
                                               for k, v in pattern.items())
    if isinstance(pattern, list):
        if not isinstance(value, list):
            return False
        more = bool(pattern) and pattern[-1] == ANY
        items = pattern[:-1] if more else pattern
        return (len(value) >= len(items) if more else len(value) == len(items)) and \
            all(matches(p, v) for p, v in zip(items, value))
    if isinstance(pattern, float) or isinstance(value, float):
        return isinstance(value, (int, float)) and abs(round(float(value), 4) - float(pattern)) < 1e-4
    return pattern == value


@pytest.fixture(scope="module")
def client(small_service, small_index_dir):
    with TestClient(create_app(Settings(index_dir=small_index_dir), service=small_service)) as client:
        yield client


def test_there_are_documented_examples():
    assert sum(1 for _ in examples()) >= 4


@pytest.mark.parametrize("document, match", list(examples()),
                         ids=lambda item: item.name if isinstance(item, Path) else item.group("command")[:60])
def test_a_documented_response_is_what_the_service_returns(client, document, match):
    method, path, body = request_of(match.group("command"))
    response = client.request(method, path, json=body)
    assert response.status_code == 200, response.text
    live = shown(response.json())
    pattern = json.loads(match.group("json"))
    if os.environ.get("COUNSEL_UPDATE_DOCS") and not matches(pattern, live):  # a block that still matches stays as written
        text = document.read_text(encoding="utf-8")
        old = match.group(0)
        new = old.replace(match.group("json"), json.dumps(live, indent=2, ensure_ascii=False) + "\n")
        document.write_text(text.replace(old, new), encoding="utf-8")
        return
    assert matches(pattern, live), f"{document.name}: the shown response is stale"
