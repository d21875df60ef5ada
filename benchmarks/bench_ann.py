#!/usr/bin/env python
"""The vector store at a size far beyond CounselChat: 1 million synthetic unit vectors of dimension 384.

    python benchmarks/bench_ann.py [--vectors 1000000] [--queries 200] [--json]

Compares the store the size rule chooses (index/store.py: IVF-SQ8 above FLAT_MAX_VECTORS) with exact
flat search on the same vectors: build time, memory (FAISS's own bytes per vector and the process's
resident memory), single-query latency (p50/p95/p99, one thread, as the API runs it) and recall@10
against exact search. The vectors are clustered around 1,000 random centres (sentence embeddings
cluster by topic; uniform random vectors would have no neighbours worth finding). Run once, on a
quiet machine: about two to four minutes of both cores and ~4 GB of memory at 1M.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from scripts.stats import percentiles

import numpy as np

from index.store import FLAT_MAX_VECTORS, FaissStore, choose_index_kind, single_threaded


def clustered_unit_vectors(count: int, dimension: int, seed: int, centres: int = 1000, chunk: int = 100_000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    middle = rng.normal(size=(centres, dimension)).astype(np.float32)
    out = np.empty((count, dimension), dtype=np.float32)
    for start in range(0, count, chunk):
        size = min(chunk, count - start)
        block = middle[rng.integers(0, centres, size)] + 0.8 * rng.standard_normal((size, dimension), dtype=np.float32)
        out[start:start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int, chunk: int = 200_000) -> np.ndarray:
    """Exact inner-product neighbours by blocked matrix products (no second copy of the vectors)."""
    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), k), dtype=np.int64)
    for start in range(0, len(vectors), chunk):
        scores = queries @ vectors[start:start + chunk].T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        merged_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, 1)], axis=1)
        merged_ids = np.concatenate([best_ids, top + start], axis=1)
        order = np.argsort(-merged_scores, axis=1)[:, :k]
        best_scores, best_ids = np.take_along_axis(merged_scores, order, 1), np.take_along_axis(merged_ids, order, 1)
    return best_ids


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def latency_ms(store: FaissStore, queries: np.ndarray, k: int) -> tuple[dict, np.ndarray]:
    found, samples = [], []
    with single_threaded():
        for query in queries:
            started = time.perf_counter()
            _, ids = store.search(query[None, :], k)
            samples.append((time.perf_counter() - started) * 1000)
            found.append(ids[0])
    return percentiles(samples), np.vstack(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not 1_000 <= args.vectors <= 2_000_000 or not 1 <= args.queries <= 2_000:
        parser.error("--vectors in 1,000..2,000,000 and --queries in 1..2,000 (bounded in time and memory)")
    k = 10
    report: dict = {"vectors": args.vectors, "dimension": args.dimension, "cores": os.cpu_count(),
                    "chosen_kind": choose_index_kind(args.vectors), "flat_max_vectors": FLAT_MAX_VECTORS}
    started = time.perf_counter()
    vectors = clustered_unit_vectors(args.vectors, args.dimension, seed=1)
    queries = vectors[np.random.default_rng(2).choice(args.vectors, args.queries, replace=False)]
    queries = queries + np.random.default_rng(3).normal(scale=0.05, size=queries.shape).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    report["generate_s"] = round(time.perf_counter() - started, 1)
    ids = np.arange(args.vectors, dtype=np.int64)
    no_topics = [()] * args.vectors

    started = time.perf_counter()
    truth = exact_top_k(vectors, queries, k)
    report["exact_numpy_s_per_query"] = round((time.perf_counter() - started) / args.queries, 4)

    for kind, flat_max in (("chosen", FLAT_MAX_VECTORS), ("flat", args.vectors)):
        before = rss_mb()
        started = time.perf_counter()
        store = FaissStore(args.dimension, flat_max=flat_max)
        store.add(ids, vectors, no_topics)
        build_s = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as tmp:
            store.save(Path(tmp), "bench")
            disk_mb = (Path(tmp) / "bench.faiss").stat().st_size / 2**20
        # exact search is slow at this size: its latency is sampled on 20 queries (its recall is 1 by definition)
        sample = queries if kind == "chosen" else queries[:20]
        latency, found = latency_ms(store, sample, k)
        recall = float(np.mean([len(set(f) & set(t)) / k for f, t in zip(found, truth)]))
        report[kind] = {"kind": store.kind, "build_s": round(build_s, 1), "rss_added_mb": round(rss_mb() - before),
                        "disk_mb": round(disk_mb), "latency_ms": latency, "recall_at_10": round(recall, 4)}
        del store
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.vectors:,} clustered unit vectors of dimension {args.dimension} (generated in {report['generate_s']} s)")
        print("| store | build s | memory added MiB | on disk MiB | p50 ms | p95 ms | p99 ms | recall@10 vs exact |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for key in ("chosen", "flat"):
            row = report[key]
            lat = row["latency_ms"]
            print(f"| {row['kind']}{' (chosen by size)' if key == 'chosen' else ''} | {row['build_s']} | "
                  f"{row['rss_added_mb']} | {row['disk_mb']} | {lat['p50']} | {lat['p95']} | {lat['p99']} | "
                  f"{row['recall_at_10']:.3f} |")
    return 0 if report["chosen"]["recall_at_10"] >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
