"""The search page: static HTML/CSS/JS served by the API app itself, at `/` and under /static.

One function mounts it, so the real app and the browser tests' stand-in API serve the very same
page. The page only talks to this origin; SecurityHeadersMiddleware's Content-Security-Policy and
Referrer-Policy make the browser enforce that (no third-party requests, no inline script, no worry
leaking from the page URL in a Referer header).
"""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"


def install_page(app: FastAPI, static_dir: Path = STATIC_DIR) -> None:
    """Serve the page at `/` and its files under /static (nothing, if the folder is missing)."""
    if not static_dir.is_dir():
        return
    app.mount("/static", StaticFiles(directory=static_dir), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        # Revalidate on every visit, so a deployed change of the page is seen at once.
        return FileResponse(static_dir / "index.html", headers={"Cache-Control": "no-cache"})
