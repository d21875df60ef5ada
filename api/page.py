"""The search page: static HTML/CSS/JS served by the API app itself, at `/`, `/q/<question_id>` and under /static.

One function mounts it, so the real app and the browser tests' stand-in API serve the very same
page. The page only talks to this origin; SecurityHeadersMiddleware's Content-Security-Policy and
Referrer-Policy make the browser enforce that (no third-party requests, no inline script, no worry
leaking from the page URL in a Referer header).

Caching: the HTML is revalidated on every visit (`no-cache`), so a deployed change is seen at once;
it names its script, style and icon with a hash of their content (`/static/page.js?v=<hash>`), and a
file asked for by its current hash is cached for a year (`immutable`): a returning visitor loads
nothing but the HTML, and a new deployment changes the hash, hence the URL. Any other request for a
static file is revalidated. The HTML carries no data: only those asset URLs are filled in.

`/q/<question_id>` is the same page showing one question (page.js reads the path); an id the
serving index does not know gets the page with status 404, so a shared link that went stale is not
indexed as a page.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_ASSET = re.compile(r'(["\'])/static/([\w.-]+)\1')


def asset_versions(static_dir: Path) -> dict[str, str]:
    """File name -> the first 12 hex digits of its sha256."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            for path in sorted(static_dir.iterdir()) if path.is_file()}


def versioned_html(html: str, versions: dict[str, str]) -> str:
    """The HTML with each `/static/<file>` it names given `?v=<hash>` of that file."""
    def version(match: re.Match) -> str:
        quote, name = match.group(1), match.group(2)
        tag = versions.get(name)
        return match.group(0) if tag is None else f"{quote}/static/{name}?v={tag}{quote}"

    return _ASSET.sub(version, html)


class VersionedStatic(StaticFiles):
    """Static files, cached for a year when asked for by their current hash, revalidated otherwise."""

    def __init__(self, *, directory: Path, versions: dict[str, str]):
        super().__init__(directory=directory)
        self.versions = versions

    async def get_response(self, path: str, scope) -> Response:
        response = await super().get_response(path, scope)
        asked = dict(pair.split("=", 1) for pair in scope.get("query_string", b"").decode("latin-1").split("&")
                     if "=" in pair).get("v")
        current = self.versions.get(path)
        response.headers["Cache-Control"] = IMMUTABLE if current is not None and asked == current else REVALIDATE
        return response


def install_page(app: FastAPI, static_dir: Path = STATIC_DIR) -> None:
    """Serve the page at `/` and `/q/<id>` and its files under /static (nothing, if the folder is missing)."""
    if not static_dir.is_dir():
        return
    versions = asset_versions(static_dir)
    html = versioned_html((static_dir / "index.html").read_text(encoding="utf-8"), versions)
    app.mount("/static", VersionedStatic(directory=static_dir, versions=versions), name="static")

    def page(status: int = 200) -> Response:
        return Response(html, status_code=status, media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": REVALIDATE})

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return page()

    @app.get("/q/{question_id}", include_in_schema=False)
    def question_page(question_id: str, request: Request) -> Response:
        state = getattr(request.app.state, "counsel", None)
        service = state.service if state is not None else None
        known = service is None or question_id in service.index.question_by_id  # loading: the page will say
        return page(200 if known else 404)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return RedirectResponse(f"/static/favicon.svg?v={versions.get('favicon.svg', '')}", status_code=301)
