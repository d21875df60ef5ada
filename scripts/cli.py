"""`counsel-search`: one command, with the entry points as subcommands.

    counsel-search serve                  # build the index if there is none, then serve (scripts/serve.py)
    counsel-search build --incremental    # build or update the index (scripts/build_index.py)
    counsel-search search "a worry"       # search from the terminal (scripts/search.py)
    counsel-search evaluate --queries ... # ranking quality (scripts/evaluate.py)
    counsel-search safety-eval            # crisis check quality (scripts/safety_eval.py)
    counsel-search mcp                    # the MCP server for assistants (scripts/mcp_server.py)

`counsel-search <command> --help` shows each command's options. The modules are imported only when
their command runs, so `counsel-search search` does not load the server's code.
"""
from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "serve": ("scripts.serve", "build the index if there is none, then serve the API and the page"),
    "build": ("scripts.build_index", "build, update (--incremental) or roll back (--rollback) the index"),
    "search": ("scripts.search", "search the index from the terminal"),
    "evaluate": ("scripts.evaluate", "ranking quality on judged worries, against baselines"),
    "safety-eval": ("scripts.safety_eval", "crisis check: recall, false alarms and latency"),
    "mcp": ("scripts.mcp_server", "the Model Context Protocol server (stdio or --http)"),
    "load-test": ("scripts.load_test", "N concurrent clients against a server on loopback"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: counsel-search <command> [options]", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {summary}" for name, (_, summary) in COMMANDS.items()]
    lines += ["", "counsel-search <command> --help shows the options of a command."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"counsel-search: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    sys.argv = [f"counsel-search {name}", *rest]  # argparse names the command in its messages
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
