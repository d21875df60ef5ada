"""Test helper, not part of the product: runs scripts/build_index.py with embedding made to stall
half-way, so a test can kill the build at a known point (mid-embedding) instead of racing a timer.

    python tests/server/slow_build.py <marker file> <build_index.py arguments...>

The first half of the texts is really embedded; then the marker file is written and the process
sleeps inside the model's `encode` (either backend: `TorchEmbedder` or `OnnxEmbedder`) until it is killed.
"""
import sys
import time
from pathlib import Path

from index.embedding.onnx_backend import OnnxEmbedder  # noqa: E402
from index.embedding.torch_backend import TorchEmbedder  # noqa: E402

marker = Path(sys.argv.pop(1))


def stalling(real_encode):
    def stalling_encode(self, texts, **kwargs):
        half = real_encode(self, texts[: max(1, len(texts) // 2)], **kwargs)
        marker.write_text(f"embedded {len(half)} of {len(texts)}\n")
        time.sleep(600)
        raise AssertionError("the test should have killed this build")
    return stalling_encode


TorchEmbedder.encode = stalling(TorchEmbedder.encode)
OnnxEmbedder.encode = stalling(OnnxEmbedder.encode)

from scripts import build_index  # noqa: E402

sys.exit(build_index.main(sys.argv[1:]))
