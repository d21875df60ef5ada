"""Test helper, not part of the product: runs scripts/build_index.py with embedding made to stall
half-way, so a test can kill the build at a known point (mid-embedding) instead of racing a timer.

    python tests/server/slow_build.py <marker file> <build_index.py arguments...>

The first half of the texts is really embedded; then the marker file is written and the process
sleeps inside the model's `encode` (either backend: torch `Embedder` or `OnnxEmbedder`) until it is killed.
"""
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from index.embedder import Embedder  # noqa: E402
from index.onnx_embedder import OnnxEmbedder  # noqa: E402

marker = Path(sys.argv.pop(1))


def stalling(real_encode):
    def stalling_encode(self, texts, **kwargs):
        half = real_encode(self, texts[: max(1, len(texts) // 2)], **kwargs)
        marker.write_text(f"embedded {len(half)} of {len(texts)}\n")
        time.sleep(600)
        raise AssertionError("the test should have killed this build")
    return stalling_encode


Embedder.encode = stalling(Embedder.encode)
OnnxEmbedder.encode = stalling(OnnxEmbedder.encode)

import build_index  # noqa: E402

sys.exit(build_index.main(sys.argv[1:]))
