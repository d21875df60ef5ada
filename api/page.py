"""The search page: static HTML/CSS/JS served by the API app itself, at `/` and under /static.

One function mounts it, so the real app and the browser tests' stand-in API serve the very same
page. The page only talks to this origin; the security headers make that a rule the browser
enforces (no third-party requests, no inline script, no query text leaking in a Referer header).
"""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
                               "object-src 'none'",
    # The page URL carries the worry (?q=...): never send it to the sites the results link to.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def install_page(app: FastAPI, static_dir: Path = STATIC_DIR) -> None:
    """Serve the page at `/` and its files under /static (nothing, if the folder is missing)."""
    if not static_dir.is_dir():
        return
    app.mount("/static", StaticFiles(directory=static_dir), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(static_dir / "index.html", headers=PAGE_HEADERS)
