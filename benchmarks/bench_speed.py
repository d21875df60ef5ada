#!/usr/bin/env python
"""Speed at CounselChat size against a bare floor, in ONE run (issue 18, point 4).

    python benchmarks/bench_speed.py --index-dir IDX [--seconds 20] [--root CHECKOUT[=INDEX] ...] [--json]

The floor: a bare ONNX Runtime encode of the query (the same int8 model file and tokenizer the
service runs, no padding, ONNX Runtime's default session options and threads) plus one FAISS flat
search (k 10) over the index's passage vectors, in this process. Then, for each checkout given
with --root (default: this one; several let two versions of the code be compared in the same run,
each on its own build of the same corpus when given as CHECKOUT=INDEX), the API as one process (`uvicorn api.main:app`, query cache off) on the same index: POST /v1/search
with 1 client (p50, p99) and 32 clients (throughput), by wrk, every request a distinct text, and
the server's mean stage times from /metrics. Ratios: p50 and p99 / floor p50; throughput / (cores
x 1000 / floor p50). Targets: p50 <= 1.5x, p99 <= 3x, throughput >= 80%.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import httpx
import numpy as np

from bench import ROOT, start_api, stop
from bench_scale import distinct_queries, real_worries
from scripts.stats import percentiles
from scripts.wrk import run_wrk
from index.embedding.onnx_backend import resolve_onnx_file, tokenizer_folder
from index.loader import load_index
from index.store import single_threaded

MODEL = "all-MiniLM-L6-v2"


def bare_floor(index_dir: Path, queries: list[str]) -> list[float]:
    """Milliseconds per query: tokenize (no padding) + ONNX Runtime with default options + pooling + flat search."""
    import faiss
    import onnxruntime as ort
    from tokenizers import Tokenizer

    index = load_index(index_dir, verify=False)
    vectors = np.asarray(index.passage_store.get_vectors(np.asarray(index.tables.passage_lookup_ids)), dtype=np.float32)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    tokenizer = Tokenizer.from_file(str(Path(tokenizer_folder(MODEL)) / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=256)
    tokenizer.no_padding()
    session = ort.InferenceSession(str(resolve_onnx_file(MODEL)), providers=["CPUExecutionProvider"])
    wants_types = any(i.name == "token_type_ids" for i in session.get_inputs())
    samples = []
    for query in queries:
        started = time.perf_counter()
        ids = np.array([tokenizer.encode(query).ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if wants_types:
            feeds["token_type_ids"] = np.zeros_like(ids)
        pooled = session.run(None, feeds)[0].mean(axis=1)
        vector = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        with single_threaded():
            flat.search(vector.astype(np.float32), 10)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def stage_means(base: str) -> dict[str, float]:
    """Mean ms per search of each stage the server times (counsel_search_stage_seconds)."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    sums = {m[0]: float(m[1]) for m in re.findall(r'counsel_search_stage_seconds_sum\{stage="(\w+)"\} (\S+)', text)}
    counts = {m[0]: float(m[1]) for m in re.findall(r'counsel_search_stage_seconds_count\{stage="(\w+)"\} (\S+)', text)}
    return {stage: round(1000 * sums[stage] / counts[stage], 2) for stage in sums if counts.get(stage)}


def measure_api(root: Path, index_dir: Path, queries: list[str], seconds: float, workdir: Path) -> dict:
    env = {"QUERY_CACHE_SIZE": "0", "RELOAD_POLL_SECONDS": "0", "PYTHONPATH": str(root)}
    process, base, cold = start_api(index_dir, env, workdir, cwd=root)
    try:
        httpx.post(f"{base}/v1/search", json={"query": "warming up the service"}, timeout=30)
        one = run_wrk(base, queries[0::2], seconds, 1)
        stages = stage_means(base)
        many = run_wrk(base, queries[1::2], seconds, 32)
        return {"cold_start_s": round(cold, 2), "one": one, "many": many, "stages_ms": stages}
    finally:
        stop(process)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True, help="an index of the real CounselChat corpus")
    parser.add_argument("--root", action="append", help="CHECKOUT[=INDEX]: a checkout whose API is measured "
                                                         "(on INDEX, default --index-dir; repeatable)")
    parser.add_argument("--seconds", type=float, default=20.0, help="wrk seconds per load level")
    parser.add_argument("--floor-queries", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=1, help="measure every checkout this many times, interleaved")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 120 or not 10 <= args.floor_queries <= 5000 or not 1 <= args.rounds <= 5:
        parser.error("--seconds in (0, 120], --floor-queries in 10..5000, --rounds in 1..5")
    say = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else (lambda *a: print(*a, flush=True))
    roots = [(Path(r.partition("=")[0]).resolve(), Path(r.partition("=")[2] or args.index_dir))
             for r in (args.root or [str(ROOT)])]
    queries = distinct_queries(real_worries())
    workdir = Path(os.environ.get("TMPDIR", "/tmp"))
    cores = os.cpu_count() or 1
    runs = []
    for round_ in range(args.rounds):
        for n, (root, index_dir) in enumerate(roots):
            # the floor is measured again right before each API run: on a shared machine only ratios
            # taken minutes apart at most compare
            say(f"floor ({args.floor_queries} distinct queries), then the API of {root} on {index_dir} "
                f"(round {round_ + 1})...")
            offset = (round_ * len(roots) + n) * 7
            floor = percentiles(bare_floor(args.index_dir, queries[-args.floor_queries - offset:len(queries) - offset]))
            ceiling = cores * 1000 / floor["p50"]
            result = measure_api(root, index_dir, queries[offset:] + queries[:offset], args.seconds, workdir)
            one, many = result["one"]["latency_ms"], result["many"]
            runs.append({"root": str(root), "round": round_ + 1, "floor_ms": floor, "ceiling_rps": round(ceiling, 1),
                         **result, "p50_over_floor": round(one["p50"] / floor["p50"], 2),
                         "p99_over_floor": round(one["p99"] / floor["p50"], 2),
                         "throughput_share": round(many["throughput_rps"] / ceiling, 2)})
    report = {"cores": cores, "runs": runs}
    if not args.json:
        print("| checkout | round | floor p50 ms | 1 client p50 ms | p99 ms | p50/floor | p99/floor | 32 clients req/s | "
              "share of ceiling | server stages ms |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for run in runs:
            one = run["one"]["latency_ms"]
            print(f"| {run['root']} | {run['round']} | {run['floor_ms']['p50']} | {one['p50']} | {one['p99']} | "
                  f"{run['p50_over_floor']} | {run['p99_over_floor']} | {run['many']['throughput_rps']} | "
                  f"{run['throughput_share']:.0%} | {run['stages_ms']} |")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
