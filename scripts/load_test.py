#!/usr/bin/env python
"""Load test: N concurrent clients searching for a fixed time, on loopback only.

    python scripts/load_test.py --index-dir indexes/counselchat          # starts the server itself
    python scripts/load_test.py --url http://127.0.0.1:8000              # or an already running one

Defaults: 60 s, 32 concurrent clients, at most 200,000 requests. Each client loops: POST /v1/search
(4 in 5) or GET /v1/search (1 in 5) with a worry from a small built-in list (or --queries, one per
line, first tab-separated column), k=10. Prints throughput, latency percentiles, errors by kind,
and the server's own mean stage times from /metrics; exits 1 if any request failed.

Bounded in count and time, and refuses any target that is not a loopback address.
"""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import httpx

from index.layout import IndexFormatError, current_version_dir
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
# Worries written for this script (not from any evaluation set): varied length and wording.
WORRIES = [
    "i cry every time i talk to my counselor, is that normal",
    "how do i stop worrying about everything at night",
    "my partner and i argue all the time and i feel alone",
    "i can't sleep and i'm exhausted at work",
    "how do i tell my parents i am gay",
    "i feel anxious in crowds and my heart races",
    "my dog died and i can't stop thinking about it",
    "i think i might be depressed but i don't know who to talk to",
    "my mother criticizes everything i do",
    "how can i trust my boyfriend again after he lied",
    "i get angry very quickly and then regret it",
    "is it ok to stop seeing my therapist",
    "i have no friends at my new school",
    "my teenage son won't talk to me anymore",
    "i keep having panic attacks before exams",
    "how do i deal with grief after losing my father",
    "i feel worthless and tired all the time",
    "my wife wants a divorce and i don't know what to do",
    "i'm addicted to my phone and can't focus",
    "what should i expect in my first therapy session",
]


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(index_dir: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    """scripts/serve.py on a free loopback port, on `index_dir` as the caller named it: the server runs
    in the project folder, so a relative folder is resolved here, against the caller's."""
    port = free_port()
    env = {**os.environ, "INDEX_DIR": str(Path(index_dir).resolve()), "HOST": "127.0.0.1", "PORT": str(port),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    log = open(log_path, "w")
    process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "serve.py")], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


@contextmanager
def serving(url: str | None, index_dir: Path, log_path: Path):
    """Yield the base URL of a ready server: `url` as given, or scripts/serve.py on `index_dir`,
    started here (its output in `log_path`) and stopped on the way out."""
    if url:
        wait_ready(url.rstrip("/"), None)
        yield url.rstrip("/")
        return
    process, base = start_server(index_dir, log_path)
    try:
        wait_ready(base, process)
        yield base
    finally:
        stop_server(process)


def stop_server(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)  # no drain: stop now
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def read_worries(path: Path | None) -> list[str]:
    """Worries from `path` (one per line, first tab-separated column), else the built-in list."""
    if path is None:
        return WORRIES
    worries = [line.split("\t")[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [w for w in worries if w] or WORRIES


def wait_ready(base: str, process: subprocess.Popen | None, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit("the server exited before it was ready (see its log)")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{base} did not become ready in {seconds:.0f} s")


def stage_means(metrics_text: str) -> dict[str, tuple[float, float]]:
    """(sum seconds, count) per search stage, from the Prometheus text."""
    found: dict[str, list[float]] = {}
    for kind, stage, value in re.findall(r'counsel_search_stage_seconds_(sum|count)\{stage="(\w+)"\} ([0-9.e+-]+)',
                                         metrics_text):
        found.setdefault(stage, [0.0, 0.0])[0 if kind == "sum" else 1] = float(value)
    return {stage: (total, count) for stage, (total, count) in found.items()}


async def client_loop(client: httpx.AsyncClient, worries: list[str], deadline: float, budget: list[int],
                      latencies: list[float], errors: Counter, rng: random.Random) -> None:
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        worry = rng.choice(worries)
        started = time.perf_counter()
        try:
            if rng.random() < 0.8:
                response = await client.post("/v1/search", json={"query": worry, "k": 10})
            else:
                response = await client.get("/v1/search", params={"q": worry, "k": 10})
            if response.status_code != 200 or not response.json().get("results"):
                errors[f"HTTP {response.status_code}"] += 1
                continue
        except (httpx.HTTPError, json.JSONDecodeError) as error:
            errors[type(error).__name__] += 1
            continue
        latencies.append(time.perf_counter() - started)


async def run_load(base: str, worries: list[str], seconds: float, concurrency: int, max_requests: int,
                   seed: int) -> dict:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        before = stage_means((await client.get("/metrics")).text)
        latencies: list[float] = []
        errors: Counter = Counter()
        budget = [max_requests]
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(client_loop(client, worries, deadline, budget, latencies, errors,
                                           random.Random(seed + i)) for i in range(concurrency)))
        elapsed = time.monotonic() - started
        after = stage_means((await client.get("/metrics")).text)
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000 if latencies else float("nan")

    stages = {}
    for stage, (total, count) in after.items():
        old_total, old_count = before.get(stage, (0.0, 0.0))
        if count > old_count:
            stages[stage] = round((total - old_total) / (count - old_count) * 1000, 2)
    return {
        "target": base, "seconds": round(elapsed, 1), "concurrency": concurrency,
        "requests": len(latencies) + sum(errors.values()), "ok": len(latencies), "errors": dict(errors),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "latency_ms": {"p50": round(percentile(50), 1), "p90": round(percentile(90), 1),
                       "p95": round(percentile(95), 1), "p99": round(percentile(99), 1),
                       "max": round(latencies[-1] * 1000, 1) if latencies else None},
        "server_stage_mean_ms": stages,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server on loopback; default: start scripts/serve.py")
    parser.add_argument("--index-dir", type=Path, default=Settings().index_dir, help="index for the started server")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-requests", type=int, default=200_000, help="hard cap on requests sent")
    parser.add_argument("--queries", type=Path, help="file of worries, one per line (first tab-separated column)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the report as JSON only")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 600 or not 0 < args.concurrency <= 256 or args.max_requests < 1:
        parser.error("--seconds must be in (0, 600], --concurrency in 1..256, --max-requests >= 1")
    worries = read_worries(args.queries)

    if args.url and not is_loopback(args.url):
        parser.error(f"{args.url} is not a loopback address; this script only loads this machine")
    if not args.url:
        try:
            current_version_dir(args.index_dir)  # a server would build a missing index first: not a load test
        except IndexFormatError as error:
            parser.error(str(error))
    log_path = Path(tempfile.gettempdir()) / f"load_test_server_{os.getpid()}.log"
    with serving(args.url, args.index_dir, log_path) as base:
        report = asyncio.run(run_load(base, worries, args.seconds, args.concurrency, args.max_requests, args.seed))
    if args.json:
        print(json.dumps(report))
    else:
        latency = report["latency_ms"]
        print(f"target {report['target']}: {report['concurrency']} clients for {report['seconds']} s")
        print(f"requests {report['requests']}  ok {report['ok']}  errors {sum(report['errors'].values())} "
              f"{report['errors'] or ''}")
        print(f"throughput {report['throughput_rps']} req/s")
        print(f"latency ms  p50 {latency['p50']}  p90 {latency['p90']}  p95 {latency['p95']}  "
              f"p99 {latency['p99']}  max {latency['max']}")
        print(f"server mean stage ms {report['server_stage_mean_ms']}")
        if not args.url:
            print(f"server log: {log_path}")
    failed = bool(report["errors"]) or not report["ok"]
    if failed:
        report_failure(report, None if args.url else log_path)
    return 1 if failed else 0


def report_failure(report: dict, log_path: Path | None, lines: int = 30) -> None:
    """On standard error, where a caller that keeps only that sees it: what failed, by kind, and the
    end of the log of the server started here (a 500's traceback is there)."""
    print(f"load test failed: {report['ok']} of {report['requests']} requests answered with results; "
          f"errors by kind: {report['errors'] or 'none'}", file=sys.stderr)
    if log_path is not None and log_path.exists():
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        print(f"the last {len(tail)} lines of the server log ({log_path}):", *tail, sep="\n", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
