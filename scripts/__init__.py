"""Command-line entry points: each module's `main(argv)` is a `counsel-search` subcommand (cli.py),
and each can also be run as a file (`python scripts/build_index.py ...`)."""
