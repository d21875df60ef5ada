#!/usr/bin/env python
"""Run the service on the real corpus: build the index if there is none, then serve.

    python scripts/serve.py            # http://127.0.0.1:8000 (HOST, PORT, INDEX_DIR, COUNSELCHAT_CSV)

The corpus comes from COUNSELCHAT_CSV when set, else it is fetched from its public source.
Logs are JSON lines on stderr; SIGTERM drains first (/readyz 503 for SHUTDOWN_DRAIN_S), see api/server.py.
"""
from __future__ import annotations

import sys

import _bootstrap  # noqa: F401

import build_index
from api.main import create_app
from api.server import serve, serve_workers
from api.state import serving_processes
from index.layout import IndexFormatError, current_version_dir
from settings import Settings


def main() -> int:
    settings = Settings()
    try:
        current_version_dir(settings.index_dir)
    except IndexFormatError:
        print(f"no index at {settings.index_dir}: building it (about two minutes)...", file=sys.stderr)
        status = build_index.main(["--index-dir", str(settings.index_dir)])
        if status:
            return status
    workers = serving_processes(settings)
    if workers > 1:
        serve_workers(settings, workers)
    else:
        serve(create_app(settings), settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
