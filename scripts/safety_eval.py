#!/usr/bin/env python
"""Measure the crisis check on a labelled file (text<TAB>1 if crisis) and time it against encoding.

    python scripts/safety_eval.py ../shared/eval/dev_crisis.tsv [--cases tests/data/crisis_cases.tsv] [--repeat 50]

Prints recall on crises, false alarms on non-crises, the lines it got wrong, and the check's latency
(median and p95 per query, lexicon and prototypes together) beside the query encoding the search
does anyway, measured in the same run (the machine is shared and noisy: the ratio is the figure).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path


from retriever.safety import SafetyCheck, load_resources
from scripts.stats import nearest_rank
from scripts.options import add_model_options, open_model
from settings import Settings


def read_labelled(path: Path) -> list[tuple[str, bool]]:
    """text<TAB>label lines, or label<TAB>needs<TAB>text lines (tests/data/crisis_cases.tsv); # comments."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) == 3:
            rows.append((parts[2], parts[0].strip() == "1"))
        else:
            rows.append((parts[0], parts[1].strip() == "1"))
    return rows


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path, help="labelled TSV files")
    add_model_options(parser, settings)
    parser.add_argument("--repeat", type=int, default=20, help="timing repetitions per query")
    args = parser.parse_args(argv)
    embedder = open_model(args, settings)
    started = time.perf_counter()
    check = SafetyCheck.build(embedder.encode, load_resources(settings.safety_region, settings.safety_resources_file))
    print(f"prototypes embedded in {(time.perf_counter() - started) * 1000:.0f} ms (once, at start-up)")
    for path in args.files:
        rows = read_labelled(path)
        texts = [t for t, _ in rows]
        encode_ms, vectors = [], []
        for text in texts:
            t0 = time.perf_counter()
            vectors.append(embedder.encode([text], batch_size=1)[0])
            encode_ms.append((time.perf_counter() - t0) * 1000)
        check_ms, wrong = [], []
        for (text, is_crisis), vector in zip(rows, vectors):
            verdict = check.check(text, vector)
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                check.check(text, vector)
                check_ms.append((time.perf_counter() - t0) * 1000)
            if verdict.crisis != is_crisis:
                wrong.append(f"  {'missed' if is_crisis else 'false alarm'}: {text}  {verdict.categories}")
        crises = sum(1 for _, c in rows if c)
        missed = sum(1 for w in wrong if w.startswith("  missed"))
        false_alarms = len(wrong) - missed
        print(f"\n{path}: {len(rows)} lines; crises flagged {crises - missed}/{crises}; "
              f"non-crises flagged {false_alarms}/{len(rows) - crises}")
        print("\n".join(wrong) if wrong else "  no errors")
        print(f"  check: median {statistics.median(check_ms):.3f} ms, p95 {nearest_rank(check_ms, 95):.3f} ms; "
              f"query encoding: median {statistics.median(encode_ms):.1f} ms "
              f"(check = {statistics.median(check_ms) / statistics.median(encode_ms):.1%} of encoding)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
