#!/usr/bin/env python
"""Figures for the chatbot endpoints, in-process on an index (no HTTP): batch vs one-by-one, and context packing.

    python benchmarks/bench_chatbots.py --index-dir indexes/counselchat --worries ../shared/eval/dev_queries.tsv

- batch: the same N worries searched one by one (N model calls) and with `search_batch` (one call),
  alternated over `--rounds` so machine noise hits both; prints medians and their ratio.
- context: over every worry, `gather_context` at several budgets: tokens used / budget, passages
  packed, how often a passage was trimmed, and duplicates skipped. Never prints a worry.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path


from scripts.load_test import read_worries
from api.state import open_service
from retriever.context import gather_context
from retriever.service import QuerySpec
from settings import Settings


def time_batch(service, worries: list[str], rounds: int) -> tuple[float, float]:
    one_by_one, batched = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for worry in worries:
            service.search(worry, 10)
        one_by_one.append(time.perf_counter() - started)
        started = time.perf_counter()
        service.search_batch([QuerySpec(w, 10) for w in worries])
        batched.append(time.perf_counter() - started)
    return statistics.median(one_by_one), statistics.median(batched)


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, default=settings.index_dir)
    parser.add_argument("--worries", type=Path, help="TSV, worry in the first column (default: a built-in list)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budgets", default="100,300,800")
    args = parser.parse_args(argv)
    service = open_service(settings.model_copy(update={"index_dir": args.index_dir}))
    worries = read_worries(args.worries)

    batch = (worries * (args.batch_size // len(worries) + 1))[:args.batch_size]
    service.search_batch([QuerySpec(w) for w in batch[:2]])  # warm up
    single, batched = time_batch(service, batch, args.rounds)
    print(f"batch of {len(batch)}: one by one {single * 1000:.0f} ms, batched {batched * 1000:.0f} ms, "
          f"speed-up x{single / batched:.2f} (median of {args.rounds} alternated rounds)")

    for budget in (int(b) for b in args.budgets.split(",")):
        used, packed, trimmed, duplicates, took = [], [], 0, 0, []
        for worry in worries:
            outcome = gather_context(service, worry, budget, 5)
            assert outcome.packed.tokens <= budget
            used.append(outcome.packed.tokens / budget)
            packed.append(len(outcome.packed.passages))
            trimmed += any(p.truncated for p in outcome.packed.passages)
            duplicates += outcome.packed.duplicates_skipped
            took.append(outcome.took_ms)
        print(f"context max_tokens={budget}: {len(worries)} worries, budget used median {statistics.median(used):.0%} "
              f"(min {min(used):.0%}), passages median {statistics.median(packed):g}, trimmed in {trimmed}, "
              f"near-duplicates skipped {duplicates} in total, median {statistics.median(took):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
