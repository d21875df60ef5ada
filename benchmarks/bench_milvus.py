"""Benchmark the vector stores: FAISS in-process vs milvus-lite vs the Milvus standalone server.

    python benchmarks/bench_milvus.py [--vectors 10000] [--queries 200] [--k 100]

Every figure is measured in the same run and printed also as a ratio to FAISS (the machine is
shared and noisy, so only ratios compare across runs). The standalone server needs its own
network namespace: unless COUNSEL_MILVUS_URI is set, this script re-runs itself under
`unshare -n scripts/milvus_standalone.py` (root), which starts the server and stops it after.

Measured per store: build (insert every vector + flush; FAISS: add), search latency p50/p95 of one
query for the top `k` (the ranker asks ~100 candidates), the same with a topic filter, and with
Strong consistency (Milvus waits for every write first). Vectors are random unit vectors of the
model's dimension with topics drawn from 31, as in CounselChat.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from index.backends import VectorBackend, milvus_client
from index.milvus_store import MilvusStore, StoreRows
from index.store import FaissStore

TOPICS = [f"topic-{i}" for i in range(31)]


def make_data(n: int, queries: int, dimension: int, seed: int = 5):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = rng.choice(2**62, size=n, replace=False).astype(np.int64)
    topics = [list(rng.choice(TOPICS, size=rng.integers(1, 3), replace=False)) for _ in range(n)]
    picked = vectors[rng.integers(0, n, size=queries)] + 0.3 * rng.normal(size=(queries, dimension)).astype(np.float32)
    picked /= np.linalg.norm(picked, axis=1, keepdims=True)
    return ids, vectors, topics, picked


def latencies(search, queries: np.ndarray) -> tuple[float, float]:
    for query in queries[:5]:  # warm-up
        search(query)
    times = []
    for query in queries:
        started = time.perf_counter()
        search(query)
        times.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def bench_faiss(ids, vectors, topics, queries, k) -> dict:
    store = FaissStore(vectors.shape[1])
    started = time.perf_counter()
    store.add(ids, vectors, topics)
    build = time.perf_counter() - started
    return {"build_s": build,
            "search": latencies(lambda q: store.search(q, k), queries),
            "filtered": latencies(lambda q: store.search(q, k, ["topic-3"]), queries),
            "strong": None}


def bench_milvus(backend: VectorBackend, ids, vectors, topics, queries, k) -> dict:
    client = milvus_client(backend)
    name = f"{backend.collection_prefix}_bench_{os.getpid()}"
    store = MilvusStore.create(client, name, vectors.shape[1], backend.index_spec, consistency="Bounded")
    try:
        n = len(ids)
        rows = StoreRows(ids, vectors, topics, [""] * n, [""] * n, [0] * n)
        started = time.perf_counter()
        store.write(rows, replace=False)
        client.flush(name)
        build = time.perf_counter() - started
        assert store.entity_count(strong=True) == n
        strong = MilvusStore(client, name, vectors.shape[1], store.spec, consistency="Strong")
        return {"build_s": build,
                "search": latencies(lambda q: store.search(q, k), queries),
                "filtered": latencies(lambda q: store.search(q, k, ["topic-3"]), queries),
                "strong": latencies(lambda q: strong.search(q, k), queries[: max(20, len(queries) // 5)])}
    finally:
        store.drop()


def report(rows: dict[str, dict], n: int, k: int) -> None:
    base = rows["faiss"]
    print(f"\n{n} vectors of dimension 384, top {k}; latency of one query in ms (ratio to FAISS in brackets)\n")
    print("| store | build s | search p50 | search p95 | filtered p50 | filtered p95 | Strong p50 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, row in rows.items():
        cells = [f"{row['build_s']:.2f} ({row['build_s'] / base['build_s']:.0f}x)"]  # FAISS flat: a memcpy
        for key in ("search", "filtered"):
            for i in (0, 1):
                cells.append(f"{row[key][i]:.2f} ({row[key][i] / base[key][i]:.1f}x)")
        cells.append("-" if row["strong"] is None else f"{row['strong'][0]:.2f} ({row['strong'][0] / base['search'][0]:.1f}x)")
        print(f"| {name} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vectors", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--no-server", action="store_true", help="FAISS and milvus-lite only")
    args = parser.parse_args(argv)
    server_uri = os.environ.get("COUNSEL_MILVUS_URI")
    if not server_uri and not args.no_server:
        command = ["unshare", "-n", sys.executable, str(Path(__file__).resolve().parents[1] / "scripts" / "milvus_standalone.py"), "--",
                   sys.executable, __file__, *(argv if argv is not None else sys.argv[1:])]
        return subprocess.run(command).returncode

    ids, vectors, topics, queries = make_data(args.vectors, args.queries, 384)
    rows = {"faiss": bench_faiss(ids, vectors, topics, queries, args.k)}
    # FAISS parallelises one query with OpenMP, which suffers badly on a shared, oversubscribed machine.
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    rows["faiss, 1 thread"] = bench_faiss(ids, vectors, topics, queries, args.k)
    faiss.omp_set_num_threads(threads)
    with tempfile.TemporaryDirectory() as scratch:
        lite = VectorBackend("milvus", str(Path(scratch) / "bench.db"), collection_prefix="bench")
        rows[f"milvus-lite ({lite.index_spec.type})"] = bench_milvus(lite, ids, vectors, topics, queries, args.k)
    if server_uri:
        server = VectorBackend("milvus", server_uri, collection_prefix="bench")
        rows[f"milvus standalone ({server.index_spec.type})"] = bench_milvus(server, ids, vectors, topics, queries, args.k)
    report(rows, args.vectors, args.k)
    return 0


if __name__ == "__main__":
    sys.exit(main())
