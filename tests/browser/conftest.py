"""Fixtures for the page tests: a real headless Chromium (Debian's chromium + chromium-driver, driven
by Selenium) against the API served by uvicorn on a free loopback port.

Two servers:
- `page_url`: the real app over the small test corpus (tests/conftest.py), for what the page does
  with real answers: searching, the URL, topics, keyboard use.
- `stub`: the same page in front of a stand-in API whose next search response a test sets. It lets
  the tests show the page fields the real API may not send yet (safety, notice, low_confidence),
  server errors and hostile text, without touching production code.
Screenshots go to artifacts/ at the repository root (gitignored), to be looked at.
"""
from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.middleware.security_headers import SecurityHeadersMiddleware
from api.page import install_page
from page_driver import DESKTOP
from tests.conftest import SMALL_ROWS, _row, write_csv

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--force-device-scale-factor=1"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(app):
    """Run `app` with uvicorn in a background thread; yield its base URL; stop it afterwards."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# Two more questions written for the page tests (not CounselChat text), in topics of their own, with
# words used often enough for the speller to know them ("anxiety", "relationship": retriever/spelling.py).
PAGE_ROWS = SMALL_ROWS + [_row(*row) for row in (
    (5, "is-my-anxiety-at-work-normal", "Is my anxiety at work normal?",
     "I get anxiety before every meeting at work and my hands shake.", "anxiety", "Dana Reyes",
     "Anxiety before meetings is common. Notice the anxiety, breathe slowly, and prepare a few notes so "
     "your mind has something steady to hold.", 2),
    (6, "how-do-we-rebuild-our-relationship", "How do we rebuild our relationship after cheating?",
     "My partner cheated and our relationship feels broken.", "relationships", "Eli Novak",
     "Rebuilding a relationship after cheating takes time and honesty. Couples counseling can help your "
     "relationship heal.", 3),
    (6, "how-do-we-rebuild-our-relationship", "How do we rebuild our relationship after cheating?",
     "My partner cheated and our relationship feels broken.", "relationships", "Cara Diaz",
     "Trust comes back through small kept promises. Talk about what each of you needs now.", 1),
)]


@pytest.fixture(scope="session")
def page_index_dir(tmp_path_factory, embedder) -> Path:
    """The page's test corpus indexed with sentence-sized passages (seconds), so that results have a
    highlighted passage inside a longer answer, as most answers of the real corpus do."""
    from index.builder import build_index
    from index.corpus import load_corpus

    directory = tmp_path_factory.mktemp("page-index")
    corpus = load_corpus(write_csv(directory / "page.csv", PAGE_ROWS))
    build_index(corpus, embedder, directory / "index", model_name="all-MiniLM-L6-v2", passage_tokens=20)
    return directory / "index"


@pytest.fixture(scope="session")
def page_url(page_index_dir, embedder):
    from api.main import create_app
    from index.loader import load_index
    from retriever.service import SearchService
    from settings import Settings

    service = SearchService(embedder, load_index(page_index_dir))
    with serve(create_app(Settings(index_dir=page_index_dir), service=service)) as url:
        yield url


class StubApi:
    """A stand-in API: serves the real page (with the real security headers), a fixed topic list and
    whatever search response a test sets."""

    def __init__(self):
        self.status = 200
        self.body: dict = {"query": "", "results": [], "took_ms": 1.0, "index_version": "stub"}
        self.requests: list[dict] = []

    def respond(self, body: dict | None = None, status: int = 200) -> None:
        self.status, self.body = status, body or {}

    def app(self):
        app = FastAPI()
        app.add_middleware(SecurityHeadersMiddleware)  # the page must work under the real CSP
        install_page(app)

        @app.get("/v1/topics")
        def topics():
            return {"topics": [{"topic": "anxiety", "answers": 3}, {"topic": "grief-and-loss", "answers": 1}]}

        @app.get("/v1/search")
        def search(request: Request):
            self.requests.append(dict(request.query_params))
            return JSONResponse(self.body, status_code=self.status)

        return app


@pytest.fixture(scope="session")
def stub_server():
    stub = StubApi()
    with serve(stub.app()) as url:
        yield stub, url


@pytest.fixture
def stub(stub_server):
    stub, url = stub_server
    stub.respond({"query": "", "results": [], "took_ms": 1.0, "index_version": "stub"})
    stub.requests.clear()
    stub.url = url
    return stub


@pytest.fixture(scope="session")
def driver():
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="counsel-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    browser.set_window_size(*DESKTOP)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(driver):
    """The session's browser at desktop size, on a blank page (no state left by the previous test)."""
    driver.set_window_size(*DESKTOP)
    driver.get("about:blank")
    return driver


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
