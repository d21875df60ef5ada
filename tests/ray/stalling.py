"""Test helper, not part of the product: a model opener whose embedder stalls on its second shard.

A Ray worker calls `open_stalling(marker_dir, opener)` instead of the real opener: the first
`encode_documents` call (one shard) runs for real and its shard is written; the second writes a
marker file named after the worker's pid and sleeps until the test kills the build. So a test
knows that each worker wrote exactly one complete shard when it kills, instead of racing a timer.
"""
import os
import time
from pathlib import Path


def open_stalling(marker_dir: str, opener):
    embedder = opener()
    real = embedder.encode_documents
    calls = []

    def encode_documents(texts, **kwargs):
        calls.append(len(texts))
        if len(calls) >= 2:
            (Path(marker_dir) / str(os.getpid())).write_text(f"stalled after {calls[0]} texts\n")
            time.sleep(600)
            raise AssertionError("the test should have killed this build")
        return real(texts, **kwargs)

    embedder.encode_documents = encode_documents
    return embedder
