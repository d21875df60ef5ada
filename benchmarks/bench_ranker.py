#!/usr/bin/env python
"""The ranker's own time per query (the query vector given), this checkout against an earlier commit, in one run.

    .venv/bin/python benchmarks/bench_ranker.py --index-dir indexes/counselchat [--baseline b196b02] [--repeat 3]

The earlier commit is checked out into a temporary git worktree and run by the same interpreter (its
modules first on the path), alternating with this checkout, on the same index, the same worries (the
project's judged set) and the same query vectors; each prints its median and p95 in ms. The ratio
current / baseline is the figure (the machine is shared: only ratios within one run compare).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORRIES = ROOT / "data" / "ranking" / "worries-a.tsv"

# Runs inside the checkout given as argv[1]: rank every worry with its code and print the timings as JSON.
PROBE = r"""
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from index.loader import load_index
from retriever.ranking import Ranker
index = load_index(sys.argv[2])
vectors = np.load(sys.argv[3])
texts = json.loads(open(sys.argv[4]).read())
ranker = Ranker(index)
for text, vector in zip(texts[:5], vectors):  # warm up
    ranker.rank(text, vector, 10)
times = []
for _ in range(int(sys.argv[5])):
    for text, vector in zip(texts, vectors):
        started = time.perf_counter()
        ranker.rank(text, vector, 10)
        times.append((time.perf_counter() - started) * 1000)
times.sort()
print(json.dumps({"median_ms": statistics.median(times), "p95_ms": times[int(0.95 * (len(times) - 1))]}))
"""


def main(argv: list[str] | None = None) -> int:
    from api.wiring import open_model
    from settings import Settings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--baseline", default="b196b02", help="the commit to compare with (default: round 1)")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the worries per side")
    args = parser.parse_args(argv)
    import numpy as np

    texts = [line.split("\t")[0] for line in WORRIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-ranker-") as scratch:
        scratch = Path(scratch)
        vectors = open_model(Settings(), threads=1).encode(texts)
        np.save(scratch / "vectors.npy", vectors)
        (scratch / "texts.json").write_text(json.dumps(texts))
        baseline = scratch / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(baseline), args.baseline],
                       check=True, capture_output=True)
        try:
            figures = {"baseline": [], "current": []}
            for _ in range(2):  # alternate, so a busy spell of the machine does not fall on one side only
                for side, tree in (("baseline", baseline), ("current", ROOT)):
                    done = subprocess.run([sys.executable, "-c", PROBE, str(tree), str(args.index_dir),
                                           str(scratch / "vectors.npy"), str(scratch / "texts.json"), str(args.repeat)],
                                          capture_output=True, text=True, cwd=tree, check=True)
                    figures[side].append(json.loads(done.stdout.strip().splitlines()[-1]))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)], capture_output=True)
    med = {side: float(np.median([f["median_ms"] for f in runs])) for side, runs in figures.items()}
    p95 = {side: float(np.median([f["p95_ms"] for f in runs])) for side, runs in figures.items()}
    print(f"ranker per query ({len(texts)} worries x {args.repeat} x 2 alternations, vector given): baseline "
          f"{args.baseline} median {med['baseline']:.2f} ms p95 {p95['baseline']:.2f} ms; current median "
          f"{med['current']:.2f} ms p95 {p95['current']:.2f} ms; ratio {med['current'] / med['baseline']:.2f}x")
    print(json.dumps({"baseline": args.baseline, "median_ms": med, "p95_ms": p95,
                      "ratio": round(med["current"] / med["baseline"], 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
