"""The --model / --backend options every script that runs the model shares, and the model they open.

One place, so each command line runs the model the way the service does (EMBEDDING_MODEL,
EMBEDDING_BACKEND, ONNX_FILE, EMBEDDING_THREADS) unless told otherwise.
"""
from __future__ import annotations

import argparse

from index.embedder import BACKENDS, open_embedder
from settings import Settings


def add_model_options(parser: argparse.ArgumentParser, settings: Settings) -> None:
    parser.add_argument("--model", default=settings.embedding_model,
                        help="sentence-transformers model name or path (env EMBEDDING_MODEL)")
    parser.add_argument("--backend", default=settings.embedding_backend, choices=BACKENDS,
                        help="runs the model: onnx (default, fast) or torch (env EMBEDDING_BACKEND)")


def open_model(args: argparse.Namespace, settings: Settings):
    """The model named by the options, with the settings' ONNX file, threads (0 = every core) and cache."""
    return open_embedder(args.model, args.backend, onnx_file=settings.onnx_file, threads=settings.embedding_threads,
                         cache_dir=settings.model_cache_dir)
