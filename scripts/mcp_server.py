#!/usr/bin/env python
"""Serve counsel-search to MCP-capable assistants (Model Context Protocol).

    python scripts/mcp_server.py --index-dir indexes/counselchat            # stdio (the assistant spawns it)
    python scripts/mcp_server.py --index-dir indexes/counselchat --http --port 8765   # streamable HTTP at /mcp

Tools: search_answers(query, k, topics), get_context(query, max_tokens, k, topics); resource
counsel://topics. The model and index load once, before the server starts answering; every other
setting (EMBEDDING_MODEL, ranking, limits, safety region) comes from the environment as for the
HTTP service. stdout belongs to the protocol in stdio mode: logs go to stderr.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


from api.mcp_tools import build_mcp_server
from api.wiring import open_service
from settings import Settings


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, default=settings.index_dir, help="index directory (env INDEX_DIR)")
    parser.add_argument("--model", default=settings.embedding_model, help="embedding model (env EMBEDDING_MODEL)")
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP address (default loopback only)")
    parser.add_argument("--port", type=int, default=8765, help="HTTP port")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        service = open_service(settings.model_copy(update={"index_dir": args.index_dir,
                                                           "embedding_model": args.model}))
    except Exception as error:  # noqa: BLE001 - any load failure ends the command with its reason
        print(f"cannot start: {error}", file=sys.stderr)
        return 2
    server = build_mcp_server(service)
    if args.http:
        server.run("streamable-http", host=args.host, port=args.port)
    else:
        server.run("stdio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
