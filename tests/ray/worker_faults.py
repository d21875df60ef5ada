"""Test helper, not part of the product: model openers that make a Ray worker fail on purpose.

A worker calls one of these instead of the real opener (faulty_build.py swaps them in):
- `open_stalling(marker_dir, opener)`: the first `encode_documents` call (one shard) runs for real
  and its shard is written; the second writes a marker file named after the worker's pid and
  sleeps until the test stops the build. So a test knows each worker wrote exactly one complete
  shard when it stops the build, instead of racing a timer.
- `open_broken(opener)`: the worker cannot open the model, as on a node without it.
"""
import os
import time
from pathlib import Path

from index.embedding import ModelError


def open_stalling(marker_dir: str, opener):
    embedder = opener()
    real = embedder.encode_documents
    calls = []

    def encode_documents(texts, **kwargs):
        calls.append(len(texts))
        if len(calls) >= 2:
            (Path(marker_dir) / str(os.getpid())).write_text(f"stalled after {calls[0]} texts\n")
            time.sleep(600)
            raise AssertionError("the test should have stopped this build")
        return real(texts, **kwargs)

    embedder.encode_documents = encode_documents
    return embedder


def open_broken(opener):
    raise ModelError("this worker has no model (a fault the test injected)")
