"""benchmarks/bench_scale.py, the service at N answers, runs as README shows it and prints the summary the
issue asks for; at 10,000 synthetic answers the ranker's top 10 equals the exact full scan's (the
stores are still flat there) and no request fails. Figures are the script's, not asserted here."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

KEYS = {"answers", "backend", "search_p50_ms", "search_p99_ms", "search_p50_ms_small", "recall_at_10",
        "rss_mib", "index_mib", "build_s"}


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_the_scale_benchmark_summarises_a_synthetic_corpus_served_for_real(real_index_dir, tmp_path):
    done = subprocess.run([sys.executable, "benchmarks/bench_scale.py", "--answers", "10000", "--small-index",
                           str(real_index_dir), "--seconds", "1", "--queries", "20", "--workdir", str(tmp_path),
                           "--json"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert KEYS <= summary.keys()
    assert summary["answers"] == 10000 and summary["backend"] == "faiss"
    assert summary["recall_at_10"] == 1.0 and summary["errors"] == 0
    assert summary["search_p50_ms"] > 0 and summary["rss_mib"] > 0 and summary["index_mib"] > 0
