"""The Milvus backend suite (tests/milvus) passes against the real Milvus standalone server too.

The server (PyPI `milvus==2.3.5`, the same binary as distributed Milvus) listens on several fixed
ports, so it runs in a private network namespace (`unshare -n`, root only) together with a pytest
of tests/milvus pointed at it by COUNSEL_MILVUS_URI; scripts/milvus_standalone.py starts it, waits
for its health check and stops it. Collections get IVF_FLAT there (nlist 128; a filtered search
visits every list).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _can_unshare_network() -> str | None:
    """None when `unshare -n` works here, else why not."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot create a network namespace (needs root): {probe.stderr.strip()}"
    return None


def test_the_milvus_suite_passes_against_the_standalone_server(tmp_path):
    if util.find_spec("milvus") is None or util.find_spec("pymilvus") is None:
        pytest.skip("the milvus extra (milvus==2.3.5 server, pymilvus) is not installed: pip install -e '.[milvus]'")
    reason = _can_unshare_network()
    if reason:
        pytest.skip(f"Milvus standalone needs its own network namespace: {reason}")
    command = ["unshare", "-n", sys.executable, str(ROOT / "scripts" / "milvus_standalone.py"),
               "--data", str(tmp_path / "milvus"), "--",
               sys.executable, "-m", "pytest", str(ROOT / "tests" / "milvus"), "-q", "-p", "no:cacheprovider",
               "-W", "ignore::DeprecationWarning"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env=os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    summary = [line for line in done.stdout.splitlines() if " passed" in line or " failed" in line]
    print("\n".join(done.stderr.splitlines()[:1] + summary))  # "healthy after N s" and pytest's summary
    assert done.returncode == 0, f"against the standalone server:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    assert summary and " passed" in summary[-1] and "skipped" not in summary[-1], summary
