#!/usr/bin/env python
"""Run the service on the real corpus: build the index if there is none, then serve.

    counsel-search serve [--index-dir DIR] [--host H] [--port P] [--workers N]
    python scripts/serve.py            # the same: http://127.0.0.1:8000 (HOST, PORT, INDEX_DIR, COUNSELCHAT_CSV)

The corpus comes from COUNSELCHAT_CSV when set, else it is fetched from its public source.
Logs are JSON lines on stderr; SIGTERM drains first (/readyz 503 for SHUTDOWN_DRAIN_S), see api/server.py.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from api.main import create_app
from api.server import serve, serve_workers
from api.wiring import serving_processes
from index.layout import IndexFormatError, current_version_dir
from scripts import build_index
from settings import Settings


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, default=settings.index_dir, help="index directory (env INDEX_DIR)")
    parser.add_argument("--host", default=settings.host, help="address to listen on (env HOST)")
    parser.add_argument("--port", type=int, default=settings.port, help="port (env PORT)")
    parser.add_argument("--workers", type=int, default=settings.workers,
                        help="server processes sharing the port; 0 = one per core (env WORKERS)")
    args = parser.parse_args(argv)
    settings = settings.model_copy(update={"index_dir": args.index_dir, "host": args.host, "port": args.port,
                                           "workers": args.workers})
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
