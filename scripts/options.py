"""The --model / --backend options every command that runs the model shares, and the model they open.

One place, so each command line runs the model the way the service does (EMBEDDING_MODEL,
EMBEDDING_BACKEND, ONNX_FILE, EMBEDDING_THREADS, MODEL_CACHE_DIR) unless told otherwise.
"""
from __future__ import annotations

import argparse

from api.wiring import open_model as open_configured_model
from index.embedding import BACKENDS, Embedder
from settings import Settings


def add_model_options(parser: argparse.ArgumentParser, settings: Settings) -> None:
    parser.add_argument("--model", default=settings.embedding_model,
                        help="sentence-transformers model name or path (env EMBEDDING_MODEL)")
    parser.add_argument("--backend", default=settings.embedding_backend, choices=BACKENDS,
                        help="runs the model: onnx (default, fast) or torch (env EMBEDDING_BACKEND)")


def with_model_options(args: argparse.Namespace, settings: Settings) -> Settings:
    """`settings` with the model the options name."""
    return settings.model_copy(update={"embedding_model": args.model, "embedding_backend": args.backend})


def open_model(args: argparse.Namespace, settings: Settings) -> Embedder:
    """The model named by the options, with the settings' ONNX file, threads (0 = every core) and cache."""
    return open_configured_model(with_model_options(args, settings))
