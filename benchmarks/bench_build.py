#!/usr/bin/env python
"""Full-build throughput, plain and with Ray Data in local mode, in ONE run: the per-core rate the
10-million-passage plan (docs/distributed-build.md) is computed from.

    python benchmarks/bench_build.py [--data counsel_chat.csv] [--texts-per-shard 1000] [--json]

On the real 2020 CSV by default (COUNSELCHAT_CSV or ../shared), this machine, in this order (about
four minutes on 2 cores): the int8 build graph derived or read from MODEL_CACHE_DIR (untimed);
a full plain build (the model on every core, in process); Ray's fixed start-up cost (a local Ray
started and one shard of 2 texts embedded by one actor: what a tiny build pays); a full build
with `--engine ray` (one actor per core, Parquet shards, then the same stores and switch). Prints
passages/s of each build (passages indexed / whole build seconds), the embedding step's texts/s
and texts/s per core (Ray: with its start-up taken out), the Ray/plain ratio, and checks that
both builds stored the same vectors. --json prints one JSON line instead.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from api.wiring import embedding_engine, open_model
from index.builder import build_index
from index.corpus import load_corpus
from index.engines import MissingTexts, RayOptions
from index.loader import load_index
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("COUNSEL_SHARED", ROOT.parent / "shared"))  # as tests/conftest.py
REAL_CSV = SHARED / "data" / "counselchat" / "20200325_counsel_chat.csv"


def parse_args(settings: Settings) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=settings.counselchat_csv or REAL_CSV, help="CSV or JSON Lines corpus")
    parser.add_argument("--texts-per-shard", type=int, default=RayOptions.texts_per_shard)
    parser.add_argument("--json", action="store_true", help="one JSON line instead of the table")
    return parser.parse_args()


def timed_build(corpus, embedder, index_dir: Path, settings: Settings, engine=None) -> dict:
    started = time.perf_counter()
    report = build_index(corpus, embedder, index_dir, model_name=settings.embedding_model,
                         passage_tokens=settings.passage_tokens, engine=engine)
    seconds = time.perf_counter() - started
    step = report.engine
    return {"seconds": round(seconds, 2), "passages": report.passages, "passages_per_s": round(report.passages / seconds, 1),
            "texts_embedded": step["texts"], "embed_seconds": step["seconds"],
            "texts_per_s": round(step["texts"] / step["seconds"], 1), "engine": step}


def ray_start_up(embedder, settings: Settings, work_dir: Path) -> float:
    """Seconds for a local Ray to start and one actor to open the model and write one shard of 2 texts."""
    engine = embedding_engine(settings, "ray", ray=RayOptions(texts_per_shard=2, actors=1))
    started = time.perf_counter()
    engine.embed_missing(embedder, MissingTexts(["0" * 40, "1" * 40], ["a first text", "a second text"], work_dir))
    return round(time.perf_counter() - started, 2)


def largest_difference(one: Path, other: Path) -> float:
    first, second = load_index(one), load_index(other)
    ids = [p.passage_id for p in first.passages]
    return float(np.abs(first.passage_store.get_vectors(ids) - second.passage_store.get_vectors(ids)).max())


def main() -> int:
    settings = Settings()
    args = parse_args(settings)
    if not args.data.is_file():
        print(f"no corpus at {args.data}: pass --data or set COUNSELCHAT_CSV", file=sys.stderr)
        return 2
    cores = len(os.sched_getaffinity(0))
    corpus = load_corpus(args.data)
    embedder = open_model(settings, threads=0)  # every core, as build_index.py opens it
    embedder.document_backend  # derive (or read) the int8 build graph before any clock starts
    with tempfile.TemporaryDirectory(prefix="bench-build-") as scratch:
        scratch = Path(scratch)
        plain = timed_build(corpus, embedder, scratch / "plain", settings)
        start_up = ray_start_up(embedder, settings, scratch / "probe")
        ray = timed_build(corpus, embedder, scratch / "ray", settings, engine=embedding_engine(
            settings, "ray", ray=RayOptions(texts_per_shard=args.texts_per_shard)))
        difference = largest_difference(scratch / "plain", scratch / "ray")
    actors = ray["engine"]["actors"]
    steady = ray["texts_embedded"] / max(ray["embed_seconds"] - start_up, 1e-9)
    result = {
        "data": args.data.name, "cores": cores, "model": settings.embedding_model, "backend": embedder.document_backend,
        "plain": plain | {"texts_per_s_per_core": round(plain["texts_per_s"] / cores, 1)},
        "ray": ray | {"start_up_seconds": start_up, "texts_per_s_after_start_up": round(steady, 1),
                      "texts_per_s_per_core": round(steady / actors, 1)},
        "ratio_passages_per_s": round(ray["passages_per_s"] / plain["passages_per_s"], 3),
        "max_vector_difference": difference,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{args.data.name}: {plain['passages']} passages, {plain['texts_embedded']} texts embedded per build, "
          f"{cores} cores, {embedder.document_backend}")
    print("| build | seconds | passages/s | embed step s | texts/s | texts/s per core |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| plain (in process, {cores} sessions) | {plain['seconds']} | {plain['passages_per_s']} | "
          f"{plain['embed_seconds']} | {plain['texts_per_s']} | {result['plain']['texts_per_s_per_core']} |")
    print(f"| ray local ({actors} actors, {ray['engine']['shards_written']} shards) | {ray['seconds']} | "
          f"{ray['passages_per_s']} | {ray['embed_seconds']} (start-up {start_up}) | {ray['texts_per_s']} "
          f"({result['ray']['texts_per_s_after_start_up']} after start-up) | {result['ray']['texts_per_s_per_core']} |")
    print(f"ray / plain passages/s: {result['ratio_passages_per_s']}x; largest vector difference {difference:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
