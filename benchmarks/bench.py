#!/usr/bin/env python
"""Speed benchmark on the real corpus, in ONE run, every figure also as a ratio to the floor.

    python benchmarks/bench.py [--data counsel_chat.csv] [--eval dev_queries.tsv] [--json]

Measures, on this machine, in this order (about 15 minutes on this 2-core machine, a third of it the torch build; all bounded in count and time, loopback only):
- full build of the corpus with the torch backend (the baseline) and with the fast path (ONNX
  Runtime; documents by the fused int8 graph derived from the model, timed apart: it is made once
  per model and cached): seconds, answers/s; then an incremental build with one changed answer;
- evaluation quality (nDCG@10, hit@1 on --eval) of both indexes, and across backends;
- the FLOOR: the bare model encode of one query on ONE core + a FAISS flat search, in process (and,
  for reference, the same encode with every core);
- our in-process search (validation, encode, both vector searches, BM25, fusion, highlight);
- the API over HTTP on 127.0.0.1 with 1, 8 and 32 concurrent clients, as one process (the default)
  and as WORKERS=cores processes: p50/p95/p99 latency, requests/s, errors (query-vector cache off,
  so every request encodes). The load comes from wrk when it is installed (a C client that leaves
  the cores to the server), else from load_test.py's async Python client; the table says which;
- cold start (process start to /readyz 200) for each backend and server layout, resident memory
  of the API processes, index size on disk.
Latency ratios divide by the floor's p50; the throughput target is cores x 1000 / floor p50 ms,
which counts one query per core at a time: hence the one-core floor.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path


import httpx

from scripts.stats import percentiles
from scripts.wrk import run_wrk, wrk_available
from scripts.load_test import WORRIES, free_port, run_load
from index.builder import build_index
from index.corpus import content_hash, load_corpus
from index.embedding import open_embedder
from index.layout import current_version_dir
from index.loader import load_index
from index.store import single_threaded
from api.wiring import serving_threads
from retriever.evaluation import read_labelled_queries, score_system
from retriever.service import SearchService
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("COUNSEL_SHARED", ROOT.parent / "shared"))  # as tests/conftest.py
MODEL = "all-MiniLM-L6-v2"


def evaluate(service: SearchService, path: Path) -> dict[str, float | None]:
    """nDCG@10 and hit@1 on the labelled worries, scored by retriever/evaluation.py through the service."""
    worries = read_labelled_queries(path)
    vectors = service.embedder.encode([w.text for w in worries])

    def system(text: str, vector):
        ranking = service.search(text, 10, query_vector=vector).ranking
        return [r.answer for r in ranking.results], ranking.low_confidence

    scores = score_system("bench", system, service.index, worries, vectors)
    if not scores.worries:  # a --limit-answers subset may hold no relevant answer: no score, rather than a false 0
        return {"ndcg@10": None, "hit@1": None, "queries": 0}
    return {"ndcg@10": round(scores.ndcg_at_10, 4), "hit@1": round(scores.hit_at_1, 4), "queries": scores.worries}


def timed_build(corpus, backend: str, index_dir: Path, models: Path, incremental: bool = False) -> dict:
    started = time.perf_counter()
    embedder = open_embedder(MODEL, backend, cache_dir=models)  # threads 0: a build uses every core
    report = build_index(corpus, embedder, index_dir, model_name=MODEL, incremental=incremental)
    seconds = time.perf_counter() - started  # model load included: what a reindex job pays
    return {"seconds": round(seconds, 2), "answers_per_s": round(report.answers / seconds, 1),
            "embedded": report.embedded, "reused": report.reused, "passages": report.passages}


def one_answer_changed(corpus):
    """A copy of the corpus whose first answer has one more sentence (an edit, as a reindex sees it)."""
    answers = list(corpus.answers)
    first = answers[0]
    changed = replace(first, answer=first.answer + " Thank you for asking this question.")
    changed.content_hash = content_hash(changed)
    answers[0] = changed
    return replace(corpus, answers=answers)


def measure_floor(embedder, index_dir: Path, queries: list[str], repeats: int) -> list[float]:
    """The bare model encode of one query plus one exact flat search over the passage vectors."""
    import faiss

    store = load_index(index_dir, verify=False).passage_store
    vectors = store.get_vectors(_all_ids(store))
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    samples = []
    for i in range(repeats):
        started = time.perf_counter()
        vector = embedder.encode([queries[i % len(queries)]], batch_size=1)
        with single_threaded():
            flat.search(vector, 10)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _all_ids(store) -> list[int]:
    import faiss

    return faiss.vector_to_array(store.index.id_map).tolist()


def measure_in_process(service: SearchService, queries: list[str], repeats: int) -> list[float]:
    samples = []
    for i in range(repeats):
        started = time.perf_counter()
        service.search(queries[i % len(queries)], 10)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def start_api(index_dir: Path, env_extra: dict[str, str], workdir: Path, workers: int = 1, cwd: Path = ROOT
              ) -> tuple[subprocess.Popen, str, float]:
    """Start the API on loopback; return the process, its URL and seconds from spawn to /readyz 200.

    One process: `uvicorn api.main:app`, as people run it. Several: `scripts/serve.py` with WORKERS,
    the supervisor that shares one port among worker processes. `cwd`: the checkout whose code runs.
    """
    port = free_port()
    env = {**os.environ, "INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "METRICS_ENABLED": "true", "HOST": "127.0.0.1", "PORT": str(port), "WORKERS": str(workers), **env_extra}
    log = open(workdir / f"server-{port}.log", "w")
    command = ([sys.executable, "scripts/serve.py"] if workers > 1 else
               [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port),
                "--log-level", "warning"])
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = started + 120
    with httpx.Client(timeout=1) as client:
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"the API exited before it was ready; see {log.name}")
            try:
                if client.get(f"{base}/readyz").status_code == 200:
                    return process, base, time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
    stop(process)
    raise SystemExit("the API did not become ready in 120 s")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


def resident_mb(pid: int) -> float:
    """RSS of the process and its children (uvicorn workers), in MiB."""
    import psutil

    process = psutil.Process(pid)
    return round(sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20, 1)


def disk_mb(directory: Path) -> float:
    return round(sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 2**20, 2)


def http_rows(base: str, worries: list[str], args) -> dict:
    """1, 8 and 32 concurrent clients: with wrk for `--seconds` each when installed, else the async
    client (at most `--requests` x 1/2/4 requests within `--seconds`)."""
    rows = {}
    for clients, budget in ((1, args.requests), (8, args.requests * 2), (32, args.requests * 4)):
        if wrk_available() and not args.python_client:
            rows[clients] = run_wrk(base, worries, args.seconds, clients)
        else:
            rows[clients] = {"tool": "httpx async", **asyncio.run(run_load(base, worries, args.seconds, clients,
                                                                            budget, seed=clients))}
    return rows


def api_layouts(cores: int) -> list[int]:
    """Worker processes to measure: one (the default) and, on a multi-core machine, one per core."""
    return [1, cores] if cores > 1 else [1]


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=settings.counselchat_csv
                        or SHARED / "data" / "counselchat" / "20200325_counsel_chat.csv")
    parser.add_argument("--eval", type=Path, default=SHARED / "eval" / "dev_queries.tsv",
                        help="worry<TAB>relevant question ids, for nDCG@10 (skipped if missing)")
    parser.add_argument("--repeats", type=int, default=200, help="in-process searches per figure")
    parser.add_argument("--requests", type=int, default=300, help="HTTP requests at 1 client (x2 at 8, x4 at 32)")
    parser.add_argument("--seconds", type=float, default=20.0, help="time cap per HTTP load level")
    parser.add_argument("--limit-answers", type=int, default=0, help="use only the first N answers (a smoke run)")
    parser.add_argument("--skip-torch", action="store_true", help="no torch baseline build (quicker; no build ratio)")
    parser.add_argument("--python-client", action="store_true", help="load with the async Python client even if wrk is installed")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv)
    if not 1 <= args.repeats <= 5000 or not 1 <= args.requests <= 5000 or not 0 < args.seconds <= 120:
        parser.error("--repeats and --requests in 1..5000, --seconds in (0, 120]")

    say = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else (lambda *a: print(*a, flush=True))
    workdir = Path(tempfile.mkdtemp(prefix="counsel-bench-"))
    results: dict = {"machine": {"cores": os.cpu_count()}, "workdir": str(workdir)}
    try:
        corpus = load_corpus(args.data)
        if args.limit_answers:
            corpus = replace(corpus, answers=corpus.answers[: args.limit_answers])
        eval_rows = read_labelled_queries(args.eval) if args.eval.is_file() else []
        queries = [q.text for q in eval_rows] + WORRIES

        say("deriving the int8 build graph (once per model, then cached)...")
        models = workdir / "models"
        started = time.perf_counter()
        open_embedder(MODEL, "onnx", cache_dir=models).document_backend  # model load + derivation
        results["derive_build_graph_s"] = round(time.perf_counter() - started, 2)
        say("building with the fast path (onnx)...")
        fast_dir = workdir / "onnx"
        results["build_fast"] = timed_build(corpus, "onnx", fast_dir, models)
        results["build_incremental"] = timed_build(one_answer_changed(corpus), "onnx", fast_dir, models, incremental=True)
        # the incremental run made a new version: the rest measures the index of the real corpus again
        results["build_fast_check"] = timed_build(corpus, "onnx", fast_dir, models, incremental=True)
        torch_dir = workdir / "torch"
        if not args.skip_torch:
            say("building with torch (the baseline, about 4 minutes)...")
            results["build_torch"] = timed_build(corpus, "torch", torch_dir, models)
        results["index_disk_mb"] = disk_mb(current_version_dir(fast_dir))

        say("floor, in-process search, quality...")
        # The service as one API process runs it (model threads, micro-batching on: a lone query encodes at once).
        onnx_service = SearchService.open(fast_dir, MODEL, embedding_backend="onnx", threads=serving_threads(settings),
                                          encode_batch_max=settings.encode_batch_max)
        one_core = open_embedder(MODEL, "onnx", threads=1)
        results["floor_ms"] = percentiles(measure_floor(one_core, fast_dir, queries, args.repeats))
        results["floor_all_cores_ms"] = percentiles(measure_floor(onnx_service.embedder, fast_dir, queries, args.repeats))
        del one_core
        results["in_process_ms"] = percentiles(measure_in_process(onnx_service, queries, args.repeats))
        cached = SearchService(onnx_service.embedder, onnx_service.index, query_cache_size=1024, ranker=onnx_service.ranker)
        measure_in_process(cached, queries, len(queries))  # fill the cache
        results["in_process_cached_ms"] = percentiles(measure_in_process(cached, queries, args.repeats))
        if eval_rows:
            results["quality"] = {"onnx index, onnx queries": evaluate(onnx_service, args.eval)}
        if not args.skip_torch:
            import torch

            torch_service = SearchService.open(torch_dir, MODEL, embedding_backend="torch")
            torch.set_num_threads(1)  # the same one-core floor
            results["floor_torch_ms"] = percentiles(measure_floor(torch_service.embedder, torch_dir, queries,
                                                                  min(args.repeats, 100)))
            torch.set_num_threads(os.cpu_count() or 1)
            if eval_rows:
                results["quality"]["torch index, torch queries"] = evaluate(torch_service, args.eval)
                cross = SearchService(onnx_service.embedder, torch_service.index)
                results["quality"]["torch index, onnx queries"] = evaluate(cross, args.eval)
            del torch_service
        onnx_service.close()
        del onnx_service, cached

        results["http"], results["cold_start_s"], results["api_rss_mb"] = {}, {}, {}
        for workers in api_layouts(results["machine"]["cores"]):
            say(f"API over HTTP, {workers} worker process(es)...")
            process, base, cold = start_api(fast_dir, {"QUERY_CACHE_SIZE": "0"}, workdir, workers)
            try:
                results["cold_start_s"][workers] = round(cold, 2)
                results["http"][workers] = http_rows(base, queries, args)
                results["api_rss_mb"][workers] = resident_mb(process.pid)
            finally:
                stop(process)
        if not args.skip_torch:
            process, _, cold = start_api(torch_dir, {"EMBEDDING_BACKEND": "torch"}, workdir)
            results["cold_start_torch_s"] = round(cold, 2)
            results["api_rss_torch_mb"] = resident_mb(process.pid)
            stop(process)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    results["targets"] = targets(results)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(table(results))
    return 0 if all(t["met"] for t in results["targets"].values()) else 1


def targets(r: dict) -> dict:
    """Each target on the layout it is about: latency at one client and cold start on the default
    single process; throughput at 32 clients on the best layout measured (the table shows both)."""
    floor = r["floor_ms"]["p50"]
    one = r["http"][1][1]
    best = max(r["http"], key=lambda w: r["http"][w][32]["throughput_rps"])
    many = r["http"][best][32]
    cores = r["machine"]["cores"]
    out = {
        "api p50 at 1 client <= 1.5x floor (1 process)": {"value": round(one["latency_ms"]["p50"] / floor, 2), "limit": 1.5},
        "api p99 at 1 client <= 3x floor (1 process)": {"value": round(one["latency_ms"]["p99"] / floor, 2), "limit": 3.0},
        "errors at 32 clients = 0 (every layout)": {
            "value": sum(sum(rows[32]["errors"].values()) for rows in r["http"].values()), "limit": 0},
        f"throughput at 32 >= 70% of cores*1000/floor ({best} process{'es' if best > 1 else ''})": {
            "value": round(many["throughput_rps"] / (cores * 1000 / floor), 2), "limit": 0.7, "higher": True},
        "cold start < 3 s (1 process)": {"value": r["cold_start_s"][1], "limit": 3.0},
    }
    if "build_torch" in r:
        out["full build >= 2x faster than torch"] = {
            "value": round(r["build_torch"]["seconds"] / r["build_fast"]["seconds"], 2), "limit": 2.0, "higher": True}
    q = r.get("quality", {})
    if q.get("torch index, torch queries", {}).get("ndcg@10") is not None and q["onnx index, onnx queries"]["ndcg@10"] is not None:
        out["nDCG@10 within 0.01 of torch"] = {
            "value": round(abs(q["onnx index, onnx queries"]["ndcg@10"] - q["torch index, torch queries"]["ndcg@10"]), 4),
            "limit": 0.01}
    out["cold start < 3 s (1 process)"]["strict"] = True  # "under 3 seconds"
    for target in out.values():
        higher, strict = target.pop("higher", False), target.pop("strict", False)
        target["met"] = (target["value"] >= target["limit"] if higher else
                         target["value"] < target["limit"] if strict else target["value"] <= target["limit"])
    return out


def table(r: dict) -> str:
    floor = r["floor_ms"]["p50"]

    def ratio(value: float) -> str:
        return f"{value / floor:.2f}x"

    lines = ["| what | p50 ms | p95 ms | p99 ms | req/s | errors | p50 / floor | p99 / floor |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]

    def latency_row(name: str, p: dict, rps: str = "", errors: str = "") -> None:
        lines.append(f"| {name} | {p['p50']:.1f} | {p['p95']:.1f} | {p['p99']:.1f} | {rps} | {errors} | "
                     f"{ratio(p['p50'])} | {ratio(p['p99'])} |")

    latency_row("floor: model encode on one core + FAISS flat search (onnx, in process)", r["floor_ms"])
    latency_row("same floor, model on every core (reference)", r["floor_all_cores_ms"])
    if "floor_torch_ms" in r:
        latency_row("same one-core floor with torch (reference)", r["floor_torch_ms"])
    latency_row("in-process search, full ranking path", r["in_process_ms"])
    latency_row("in-process search, repeated query (LRU cache hit)", r["in_process_cached_ms"])
    for workers, rows in r["http"].items():
        for clients, row in rows.items():
            p = {k: row["latency_ms"][k] for k in ("p50", "p95", "p99")}
            errors = sum(row["errors"].values())
            latency_row(f"API over HTTP, {workers} process{'es' if workers > 1 else ''}, {clients} "
                        f"client{'s' if clients > 1 else ''} ({row['ok']} requests, {row['tool']})", p,
                        f"{row['throughput_rps']:.0f}", str(errors))
    cores = r["machine"]["cores"]
    ceiling = cores * 1000 / floor
    lines += ["", "| what | value | ratio |", "| --- | --- | --- |",
              f"| throughput ceiling: cores x 1000 / floor p50 | {ceiling:.0f} req/s | "
              + ", ".join(f"{w} process{'es' if w > 1 else ''} at 32 clients: "
                          f"{rows[32]['throughput_rps'] / ceiling:.0%}" for w, rows in r["http"].items()) + " |"]
    for workers, cold in r["cold_start_s"].items():
        lines.append(f"| cold start, onnx, {workers} process{'es' if workers > 1 else ''} (spawn to /readyz 200) | "
                     f"{cold:.2f} s | {cold * 1000 / floor:.0f}x floor |")
    if "cold_start_torch_s" in r:
        lines.append(f"| cold start, torch, 1 process | {r['cold_start_torch_s']:.2f} s | {r['cold_start_torch_s'] * 1000 / floor:.0f}x floor |")
    for workers, rss in r["api_rss_mb"].items():
        lines.append(f"| API resident memory, onnx, {workers} process{'es' if workers > 1 else ''} | {rss:.0f} MiB | |")
    if "api_rss_torch_mb" in r:
        lines.append(f"| API resident memory, torch, 1 process | {r['api_rss_torch_mb']:.0f} MiB | |")
    lines.append(f"| index size on disk | {r['index_disk_mb']:.1f} MiB | |")
    fast = r["build_fast"]
    if "build_torch" in r:
        bt = r["build_torch"]
        lines.append(f"| full build, torch (baseline) | {bt['seconds']:.1f} s, {bt['answers_per_s']:.0f} answers/s | 1.00x |")
        lines.append(f"| full build, onnx (fast path) | {fast['seconds']:.1f} s, {fast['answers_per_s']:.0f} answers/s | "
                     f"{bt['seconds'] / fast['seconds']:.2f}x faster |")
    else:
        lines.append(f"| full build, onnx (fast path) | {fast['seconds']:.1f} s, {fast['answers_per_s']:.0f} answers/s | |")
    derive = r["derive_build_graph_s"]
    first = f" ({r['build_torch']['seconds'] / (fast['seconds'] + derive):.2f}x faster than torch with it)" if "build_torch" in r else ""
    lines.append(f"| first build only: derive the int8 build graph (cached per model) | +{derive:.1f} s{first} | |")
    inc = r["build_incremental"]
    lines.append(f"| incremental build, one answer changed | {inc['seconds']:.2f} s ({inc['embedded']} texts embedded, "
                 f"{inc['reused']} reused) | {inc['seconds'] * 1000 / floor:.0f}x floor |")
    for name, q in r.get("quality", {}).items():
        if q["queries"]:
            lines.append(f"| quality, {name} | nDCG@10 {q['ndcg@10']:.4f}, hit@1 {q['hit@1']:.3f} ({q['queries']} worries) | |")
        else:
            lines.append(f"| quality, {name} | n/a (subset: no dev worry has a relevant answer in it) | |")
    lines += ["", "| target | measured | limit | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {name} | {t['value']} | {t['limit']} | {'yes' if t['met'] else 'NO'} |" for name, t in r["targets"].items()]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
