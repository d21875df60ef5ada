#!/usr/bin/env python
"""The service at scale: a synthetic corpus of N answers made of CounselChat, built, served and measured.

    python benchmarks/bench_scale.py --answers 1000000 [--backend faiss] [--queries 200] [--json]
    unshare -n python scripts/milvus_standalone.py -- \\
        python benchmarks/bench_scale.py --answers 100000 --backend milvus --json

The corpus: CounselChat recombined and re-keyed. The real index is built first (with the model:
the "small" figures and the model's cost come from it); then N answers are made from its records:
each synthetic question takes a real question's title and body plus the first sentence of another
question's body, under a new key; each answer takes a real answer of that question (its therapist,
upvotes, passages) and swaps one passage for one of another answer of the same topic, so texts,
passages, words and topics are CounselChat's. Vectors are made without the model: each synthetic
passage's vector is its real passage's plus a little noise, each question view's its real
question's (mixed 85/15 with the other one it borrows from) plus noise, renormalised. What
embedding the corpus with the model would cost is measured on the real build and reported apart
(`model_s_estimate`); `build_s` is everything else a build does (BM25, catalog, tables, stores,
checksums), timed for real.

Measured in one run: build time and index size; cold start (spawn to /readyz 200) and the resident
memory of one API worker after the load (total, and the file-backed part: mapped vectors and
tables, shared by workers); POST /v1/search p50/p99 with 1 and 32 clients (wrk, every query a
distinct text, query cache off) on the real index ("small") and at N; recall of the ranker's top
10 against the exact full-scan ranking (retriever/exact.py: every source scanned, exact vectors)
on real worries, in process. The last line is the JSON summary.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import ROOT, SHARED, disk_mb, resident_mb, start_api, stop
from scripts.load_test import WORRIES
from scripts.stats import percentiles
from scripts.wrk import run_wrk
from api.wiring import open_model
from index.backends import VectorBackend
from index.builder import build_index, write_version
from index.corpus import Answer, load_corpus
from index.layout import build_lock, current_version_dir, switch_current
from index.loader import LoadedIndex, load_index
from index.passages import Passage, vector_id
from index.questions import Question
from index.safety_tags import question_situations, tag_lethal_means, SITUATION
from retriever.exact import FullScanExtractor
from retriever.ranking import Ranker, RankingConfig
from settings import Settings

MODEL = "all-MiniLM-L6-v2"
NOISE = 0.25  # norm of the noise added to a real vector (cosine ~0.97 to it)
SUFFIXES = ("", " what should i do", " any advice?", " is this normal?", " i need help", " please help me")
TOPIC_CYCLE = 4  # every 4th recall query also filters by a topic


# --- the synthetic corpus -----------------------------------------------------------------------

class Synthetic:
    """N answers made of a real index's records, with their vectors (see the module doc)."""

    def __init__(self, real: LoadedIndex, answers: int, seed: int = 0):
        rng = np.random.default_rng(seed)
        tables = real.tables
        questions, real_answers, passages = list(real.questions), list(real.answers), list(real.passages)
        question_ids = np.asarray(tables.question_vector_id)
        vectors = {"questions": real.question_store.get_vectors(question_ids),
                   "title": real.view_stores["title"].get_vectors(question_ids),
                   "body": real.view_stores["body"].get_vectors(question_ids)}
        passage_row = {p.passage_id: n for n, p in enumerate(passages)}
        passage_vectors = real.passage_store.get_vectors([p.passage_id for p in passages])
        answers_of = [np.asarray(tables.question_answers[tables.question_answer_start[q]:tables.question_answer_start[q + 1]])
                      for q in range(len(questions))]
        passages_of = [[passage_row[int(i)] for i in tables.passages_of(np.array([a]))[0]] for a in range(len(real_answers))]
        by_topic: dict[str, list[int]] = {}
        for position, answer in enumerate(real_answers):
            by_topic.setdefault(answer.topic, []).append(position)
        situations = question_situations()

        n_questions = max(1, round(answers * len(questions) / len(real_answers)))
        source = rng.integers(0, len(questions), n_questions)
        mixed = rng.integers(0, len(questions), n_questions)
        weights = np.array([len(a) for a in answers_of], dtype=np.float64)[source]
        per_question = 1 + rng.multinomial(answers - n_questions, weights / weights.sum()) if answers > n_questions \
            else np.ones(n_questions, dtype=np.int64)
        self.answers: list[Answer] = []
        self.passages: list[Passage] = []
        self.questions: list[Question] = []
        passage_sources: list[int] = []
        for j in range(n_questions):
            real_question = questions[source[j]]
            other = questions[mixed[j]]
            key = f"{real_question.question_id}-{j}"
            body = " ".join(filter(None, [real_question.text, _first_sentence(other.text)]))
            question = Question(key, vector_id("q:" + key), real_question.title, body,
                                f"https://counselchat.com/questions/{key}", list(real_question.topics))
            situation = situations.get(real_question.question_id)
            for n in range(int(per_question[j])):
                position = int(rng.choice(answers_of[source[j]]))
                model, rows = real_answers[position], list(passages_of[position])
                swap = passages_of[int(rng.choice(by_topic.get(model.topic) or [position]))]
                if swap and rows and rng.random() < 0.7:
                    rows[int(rng.integers(0, len(rows)))] = swap[int(rng.integers(0, len(swap)))]
                answer_id = f"s{len(self.answers):08d}"
                text, spans = _joined([passages[r].text for r in rows])
                answer = Answer(answer_id, key, question.title, question.text, question.url, list(real_question.topics),
                                model.therapist, model.therapist_url, text, text, model.upvotes, model.views,
                                credentials=model.credentials)
                answer.flags = sorted(set(tag_lethal_means(answer)) | ({SITUATION + situation} if situation else set()))
                for ordinal, ((start, end), row) in enumerate(zip(spans, rows)):
                    self.passages.append(Passage(vector_id(f"{answer_id}#{ordinal}"), answer_id, ordinal, start, end,
                                                 passages[row].text))
                    passage_sources.append(row)
                question.answer_ids.append(answer_id)
                self.answers.append(answer)
            self.questions.append(question)
        self.passage_ids = np.array([p.passage_id for p in self.passages], dtype=np.int64)
        self.vectors = {
            "passages": _noisy(passage_vectors[np.array(passage_sources)], rng),
            "questions": _noisy(0.85 * vectors["questions"][source] + 0.15 * vectors["questions"][mixed], rng),
            "question_title": _noisy(vectors["title"][source], rng),
            "question_body": _noisy(0.85 * vectors["body"][source] + 0.15 * vectors["body"][mixed], rng),
        }


    def forget_records(self) -> None:
        """Drop the records once built (the vectors stay: the exact reference reads them)."""
        self.answers, self.passages, self.questions = [], [], []


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.?!])(\s|$)", text)
    return (match.group(1) if match else text)[:300]


def _joined(texts: list[str]) -> tuple[str, list[tuple[int, int]]]:
    spans, at = [], 0
    for text in texts:
        spans.append((at, at + len(text)))
        at += len(text) + 1
    return " ".join(texts), spans


def _noisy(vectors: np.ndarray, rng: np.random.Generator, chunk: int = 200_000) -> np.ndarray:
    out = np.empty(vectors.shape, dtype=np.float32)
    scale = NOISE / np.sqrt(vectors.shape[1])
    for start in range(0, len(vectors), chunk):
        block = vectors[start:start + chunk].astype(np.float32)
        block += rng.standard_normal(block.shape, dtype=np.float32) * scale
        out[start:start + chunk] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out
# --- building ---------------------------------------------------------------------------------

def build_real(corpus_csv: Path, index_dir: Path, settings: Settings) -> dict:
    """The real CounselChat index, built with the model as a reindex would (its seconds are the model's cost)."""
    embedder = open_model(settings)
    started = time.perf_counter()
    report = build_index(load_corpus(corpus_csv), embedder, index_dir, model_name=MODEL)
    seconds = time.perf_counter() - started
    texts = report.engine.get("texts", 0)
    return {"seconds": round(seconds, 1), "embed_seconds": report.engine.get("seconds"), "texts": texts,
            "texts_per_s": round(texts / report.engine["seconds"], 1) if report.engine.get("seconds") else None}


def build_synthetic(synthetic: Synthetic, index_dir: Path, backend: VectorBackend, real: LoadedIndex) -> float:
    """Write the synthetic corpus as a new current version; return the seconds it took."""
    started = time.perf_counter()
    with build_lock(index_dir):
        manifest = real.manifest
        final = write_version(index_dir, synthetic.answers, synthetic.passages, synthetic.questions, synthetic.vectors,
                              model_name=manifest.model, dimension=manifest.dimension, normalized=True,
                              corpus_sha256="synthetic", passage_tokens=manifest.passage_tokens,
                              taggers=manifest.settings.get("taggers", []),
                              embedding_backend=manifest.embedding_backend, vector_backend=backend)
        switch_current(index_dir, final)
    return time.perf_counter() - started


def vector_index_mib(directory: Path) -> float:
    """The vector stores' own files (FAISS); 0 when the vectors live in Milvus."""
    return round(sum(p.stat().st_size for p in directory.glob("*.faiss")) / 2**20, 1)


# --- serving ----------------------------------------------------------------------------------

def distinct_queries(worries: list[str]) -> list[str]:
    """Every worry with each of a few endings: thousands of different texts, none repeated in a run."""
    return [w + suffix for suffix in SUFFIXES for w in worries]


def memory_of(pid: int) -> dict:
    """Resident memory of the worker (MiB): total, anonymous (its own), file-backed (mapped files, shared)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mib": fields.get("VmRSS"), "anon_mib": fields.get("RssAnon"), "file_mib": fields.get("RssFile")}


def serve(index_dir: Path, queries: list[str], seconds: float, workdir: Path, env: dict, clients=(1, 32)) -> dict:
    """Cold start, then wrk at each client count (each run gets its own slice of the distinct queries)."""
    process, base, cold = start_api(index_dir, {"QUERY_CACHE_SIZE": "0", "RELOAD_POLL_SECONDS": "0", **env}, workdir)
    try:
        out = {"cold_start_s": round(cold, 2)}
        for n, count in enumerate(clients):
            share = queries[n::len(clients)]
            out[count] = run_wrk(base, share, seconds, count)
        out["memory"] = memory_of(process.pid)
        out["rss_with_children_mib"] = resident_mb(process.pid)
        return out
    finally:
        stop(process)


# --- recall -----------------------------------------------------------------------------------

def recall_at_10(index: LoadedIndex, synthetic: Synthetic, worries: list[str], vectors: np.ndarray) -> dict:
    """The ranker's top 10 against the exact full-scan ranking's, per worry (topics on every 4th)."""
    exact = FullScanExtractor(index, question_vectors=np.stack([synthetic.vectors["questions"],
                                                                synthetic.vectors["question_title"],
                                                                synthetic.vectors["question_body"]]),
                              passage_vectors=synthetic.vectors["passages"], passage_ids=synthetic.passage_ids)
    ranker, reference = Ranker(index, RankingConfig()), Ranker(index, RankingConfig(), extractor=exact)
    topics = list(index.topics)[:6]
    overlaps, filtered, timings = [], [], []
    for n, (worry, vector) in enumerate(zip(worries, vectors)):
        chosen = [topics[n // TOPIC_CYCLE % len(topics)]] if n % TOPIC_CYCLE == TOPIC_CYCLE - 1 else None
        started = time.perf_counter()
        got = [r.answer.answer_id for r in ranker.rank(worry, vector, 10, chosen).results]
        timings.append((time.perf_counter() - started) * 1000)
        want = [r.answer.answer_id for r in reference.rank(worry, vector, 10, chosen).results]
        share = len(set(got) & set(want)) / max(1, len(want))
        (filtered if chosen else overlaps).append(share)
    return {"recall_at_10": round(float(np.mean(overlaps)), 4),
            "recall_at_10_with_topic": round(float(np.mean(filtered)), 4) if filtered else None,
            "queries": len(overlaps), "queries_with_topic": len(filtered), "rank_in_process_ms": percentiles(timings)}


# --- the run ----------------------------------------------------------------------------------

def real_worries(limit: int | None = None) -> list[str]:
    """Worries people wrote (the judged set, the dev queries, the load test's), distinct, in a fixed order."""
    worries = [line.split("\t")[0].strip() for line in (ROOT / "data" / "ranking" / "qrels.tsv").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    dev = SHARED / "eval" / "dev_queries.tsv"
    if dev.is_file():
        worries += [line.split("\t")[0].strip() for line in dev.read_text().splitlines() if line.strip()]
    worries = list(dict.fromkeys([*WORRIES, *worries]))
    return worries[:limit] if limit else worries


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, required=True, help="synthetic answers (10,000 .. 2,000,000)")
    parser.add_argument("--backend", choices=("faiss", "milvus"), default="faiss")
    parser.add_argument("--milvus-uri", default=os.environ.get("COUNSEL_MILVUS_URI", settings.milvus_uri))
    parser.add_argument("--data", type=Path, default=settings.counselchat_csv
                        or SHARED / "data" / "counselchat" / "20200325_counsel_chat.csv")
    parser.add_argument("--small-index", type=Path, help="a real CounselChat index to reuse (skips its build)")
    parser.add_argument("--queries", type=int, default=200, help="worries for recall (in process)")
    parser.add_argument("--seconds", type=float, default=20.0, help="wrk seconds per client count")
    parser.add_argument("--workdir", type=Path, help="where indexes go (default: a temporary folder, removed)")
    parser.add_argument("--json", action="store_true", help="only the JSON summary on stdout")
    args = parser.parse_args(argv)
    if not 10_000 <= args.answers <= 2_000_000 or not 1 <= args.queries <= 2_000 or not 0 < args.seconds <= 120:
        parser.error("--answers in 10,000..2,000,000, --queries in 1..2,000, --seconds in (0, 120]")
    say = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else (lambda *a: print(*a, flush=True))
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="counsel-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    backend = (VectorBackend("milvus", args.milvus_uri, collection_prefix=f"scale{os.getpid()}")
               if args.backend == "milvus" else VectorBackend())
    env = {"VECTOR_BACKEND": backend.kind, "MILVUS_URI": backend.milvus_uri}
    summary: dict = {"answers": args.answers, "backend": args.backend}
    report: dict = {"machine": {"cores": os.cpu_count()}}
    try:
        small_dir = args.small_index
        if small_dir is None:
            say("building the real CounselChat index with the model...")
            small_dir = workdir / "small"
            report["real_build"] = build_real(args.data, small_dir, settings)
        real = load_index(small_dir, verify=False)
        say(f"making {args.answers:,} synthetic answers...")
        started = time.perf_counter()
        synthetic = Synthetic(real, args.answers)
        report["synthesis_s"] = round(time.perf_counter() - started, 1)
        counts = {"answers": len(synthetic.answers), "questions": len(synthetic.questions),
                  "passages": len(synthetic.passages)}
        texts = counts["passages"] + 3 * counts["questions"]  # what a model build would embed
        rate = (report.get("real_build") or {}).get("texts_per_s")
        say(f"building the index ({counts}) on {args.backend}...")
        big_dir = workdir / "big"
        summary["build_s"] = round(build_synthetic(synthetic, big_dir, backend, real), 1)
        synthetic.forget_records()
        version = current_version_dir(big_dir)
        summary["index_mib"] = disk_mb(version)
        summary["vector_index_mib"] = vector_index_mib(version)
        summary["model_s_estimate"] = round(texts / rate, 1) if rate else None

        worries = real_worries()
        queries = distinct_queries(worries)
        say(f"serving the real index: {len(queries):,} distinct queries...")
        small = serve(small_dir, queries, args.seconds, workdir, env={}, clients=(1,))
        say("serving the synthetic index...")
        big = serve(big_dir, queries[::-1], args.seconds, workdir, env=env)
        summary["search_p50_ms"], summary["search_p99_ms"] = big[1]["latency_ms"]["p50"], big[1]["latency_ms"]["p99"]
        summary["search_p50_ms_small"] = small[1]["latency_ms"]["p50"]
        summary["search_p99_ms_small"] = small[1]["latency_ms"]["p99"]
        summary["search_p50_ms_32"], summary["search_p99_ms_32"] = big[32]["latency_ms"]["p50"], big[32]["latency_ms"]["p99"]
        summary["throughput_32_rps"] = big[32]["throughput_rps"]
        summary["errors"] = sum(sum(run["errors"].values()) for run in (small[1], big[1], big[32]))
        summary["cold_start_s"], summary["cold_start_s_small"] = big["cold_start_s"], small["cold_start_s"]
        summary["rss_mib"] = big["memory"]["rss_mib"]
        summary["rss_anon_mib"], summary["rss_file_mib"] = big["memory"]["anon_mib"], big["memory"]["file_mib"]
        summary["rss_mib_small"] = small["memory"]["rss_mib"]

        say(f"recall of the ranker's top 10 against the exact full scan ({args.queries} worries)...")
        index = load_index(big_dir, verify=False, vector_backend=backend)
        embedder = open_model(settings)
        chosen = worries[:args.queries]
        recall = recall_at_10(index, synthetic, chosen, embedder.encode(chosen))
        summary["recall_at_10"] = recall.pop("recall_at_10")
        summary["recall_at_10_with_topic"] = recall.pop("recall_at_10_with_topic")
        report.update(counts=counts, recall=recall, small=small, big=big, model_texts=texts)
        summary.update(counts)
        summary["p50_ratio_to_small"] = round(summary["search_p50_ms"] / summary["search_p50_ms_small"], 2)
        if summary["vector_index_mib"]:
            summary["rss_over_vector_index"] = round(summary["rss_mib"] / summary["vector_index_mib"], 2)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if not args.json:
        print(json.dumps(report, indent=1, default=str))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
