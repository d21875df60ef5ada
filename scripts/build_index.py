#!/usr/bin/env python
"""Build (or incrementally update) a counsel-search index from a CounselChat CSV or JSON Lines file.

    python scripts/build_index.py --data counsel_chat.csv --index-dir indexes/counselchat [--incremental] [--json]
    python scripts/build_index.py --index-dir indexes/counselchat --rollback [--json]
    python scripts/build_index.py --data big.csv --index-dir indexes/big --engine ray [--ray-address ADDR]

Without --data (and without COUNSELCHAT_CSV) the public CounselChat CSV is fetched, checked
against its sha256 and cached. Made to run unattended (cron, a workflow engine):

- exit 0: done (a new version is current, or the rollback switched `current`);
- exit 1: failed (another build holds the lock, the model cannot load, the build crashed or was
  interrupted, nothing to roll back to): `current` still points at the complete version it did;
- exit 2: bad input (a malformed row: the message names file, line and field; --skip-bad-rows
  goes on and counts them), an unknown --engine, or --engine ray without Ray installed.

--engine ray embeds the texts the current version lacks with a Ray Data actor pool (on this
machine, or on the cluster at --ray-address) into Parquet shards under <index-dir>/.shards; a
build killed half way reuses the shards written when run again (docs/distributed-build.md).

With --json, stdout is one JSON object: on success `added`, `updated`, `removed`, `unchanged`,
`embedded` (answer passages embedded; the rest were reused), `seconds`, `version` and more; on
failure `status`, `error` and `exit_code`.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import time


from index.builder import build_index
from index.corpus import CorpusError, load_corpus
from index.engines import ENGINES, EngineError, EngineSetupError, RayOptions
from index.fetch import FetchError, fetch_counselchat
from index.layout import BuildLockedError, IndexFormatError, build_lock, rollback
from api.wiring import embedding_engine, vector_backend
from scripts.options import add_model_options, open_model, with_model_options
from settings import Settings

DONE, FAILED, BAD_INPUT = 0, 1, 2


class Interrupted(Exception):
    """SIGTERM or Ctrl-C arrived during the build (the staging folder is removed on the way out)."""


def parse_args(settings: Settings, argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=settings.counselchat_csv,
                        help="CSV or JSON Lines corpus (env COUNSELCHAT_CSV); fetched from the public source if unset")
    parser.add_argument("--index-dir", default=settings.index_dir, help="index directory (env INDEX_DIR)")
    add_model_options(parser, settings)
    parser.add_argument("--passage-tokens", type=int, default=settings.passage_tokens,
                        help="max model tokens per passage (env PASSAGE_TOKENS)")
    parser.add_argument("--keep-versions", type=_positive, default=settings.keep_versions,
                        help="index versions to keep on disk (env KEEP_VERSIONS)")
    parser.add_argument("--incremental", action="store_true",
                        help="embed only new and changed texts, reuse every unchanged vector of the current version")
    parser.add_argument("--rollback", action="store_true",
                        help="point `current` back at the previous version (no build)")
    parser.add_argument("--engine", default="local", metavar="{" + ",".join(ENGINES) + "}",
                        help="what embeds the texts the current version lacks: local (this process, the default) "
                             "or ray (a Ray Data actor pool, resumable; the [ray] extra)")
    parser.add_argument("--ray-address", default=None,
                        help="with --engine ray: the cluster to join (e.g. auto, ray://head:10001); "
                             "default: Ray on this machine")
    parser.add_argument("--texts-per-shard", type=_positive, default=RayOptions.texts_per_shard,
                        help="with --engine ray: texts per Parquet shard, the most a dying worker loses")
    parser.add_argument("--skip-bad-rows", action="store_true", help="skip malformed rows instead of failing")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of a sentence")
    return parser.parse_args(argv)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    args = parse_args(settings, argv)
    report = Reporter(args.json)
    started = time.perf_counter()
    previous_handler = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        return _run(args, settings, report, started)
    finally:  # a caller that goes on (scripts/serve.py builds, then serves) gets its own handler back
        signal.signal(signal.SIGTERM, previous_handler)


def _run(args: argparse.Namespace, settings: Settings, report: "Reporter", started: float) -> int:
    try:
        if args.rollback:
            left, now = rollback(args.index_dir)
            return report.done({"status": "done", "action": "rollback", "version": now.name,
                                "from_version": left.name, "seconds": round(time.perf_counter() - started, 3)},
                               f"rolled back {args.index_dir}: {left.name} -> {now.name}")
        engine = embedding_engine(with_model_options(args, settings), args.engine,  # checked before anything is read
                                  ray=RayOptions(address=args.ray_address, texts_per_shard=args.texts_per_shard))
        _fail_fast_if_locked(args.index_dir)
        try:
            data = args.data or fetch_counselchat(settings.data_cache_dir)
            corpus = load_corpus(data, skip_bad_rows=args.skip_bad_rows)
        except CorpusError as error:
            return report.failed(BAD_INPUT, "bad_input", str(error))
        # stdout carries the outcome alone (the sentence, or the one JSON object): whatever the model or an
        # engine prints meanwhile goes to stderr (Ray prints its workers' errors to stdout).
        with contextlib.redirect_stdout(sys.stderr):
            embedder = open_model(args, settings)  # threads 0 = every core: a build has the machine
            built = build_index(corpus, embedder, args.index_dir, model_name=args.model,
                                passage_tokens=args.passage_tokens, keep_versions=args.keep_versions,
                                incremental=args.incremental, vector_backend=vector_backend(settings), engine=engine,
                                progress=sys.stderr.isatty() and not args.json)
    except BuildLockedError as error:
        return report.failed(FAILED, "locked", f"{error}; try again when it has finished")
    except (Interrupted, KeyboardInterrupt):
        return report.failed(FAILED, "interrupted", "interrupted; `current` still points at a complete version")
    except EngineSetupError as error:  # an unknown engine, Ray not installed
        return report.failed(BAD_INPUT, "bad_input", str(error))
    except (FetchError, IndexFormatError, EngineError) as error:
        return report.failed(FAILED, "failed", str(error))
    except Exception as error:  # any other failure: the build wrote nothing `current` points at
        return report.failed(FAILED, "failed", f"build failed, the current index is untouched: "
                                               f"{type(error).__name__}: {error}")
    for problem in corpus.bad_rows[:10]:
        print(f"skipped: {problem}", file=sys.stderr)
    summary = {"status": "done", "action": "incremental" if args.incremental else "full"} | built.to_dict() | {
        "build_seconds": built.seconds, "seconds": round(time.perf_counter() - started, 3),
        "bad_rows": len(corpus.bad_rows), "empty_answers_skipped": corpus.empty_answers,
        "duplicates_merged": corpus.duplicates_merged}
    sentence = (f"indexed {built.answers} answers ({built.passages} passages) to {built.questions} questions "
                f"in {summary['seconds']:.1f} s: {built.added} added, {built.updated} updated, {built.removed} removed, "
                f"{built.unchanged} unchanged; {built.embedded} passages and {built.embedded_questions} questions "
                f"embedded, {built.reused} vectors reused"
                + _engine_clause(built.engine)
                + (f"; full rebuild: {built.full_rebuild_reason}" if built.full_rebuild_reason else "")
                + (f"; {len(corpus.bad_rows)} bad rows skipped" if corpus.bad_rows else "")
                + f" -> {built.path}")
    return report.done(summary, sentence)


def _engine_clause(engine: dict) -> str:
    """What the sentence says about a sharded engine's run (nothing for the default engine)."""
    if "shards_written" not in engine:
        return ""
    return (f"; embedded by {engine['name']} in {engine['seconds']:.1f} s: {engine['shards_written']} shards written, "
            f"{engine['shards_reused']} reused")


class Reporter:
    """One place that turns an outcome into stdout/stderr and an exit code, in text or JSON."""

    def __init__(self, as_json: bool):
        self.as_json = as_json

    def done(self, summary: dict, sentence: str) -> int:
        print(json.dumps(summary) if self.as_json else sentence)
        return DONE

    def failed(self, code: int, status: str, message: str) -> int:
        print(f"error: {message}", file=sys.stderr)
        if self.as_json:
            print(json.dumps({"status": status, "error": message, "exit_code": code}))
        return code


def _fail_fast_if_locked(index_dir) -> None:
    """Refuse before the slow part (reading data, loading the model) when a build already runs;
    `build_index` takes the lock again for real, so a build starting in between is still refused."""
    with build_lock(index_dir):
        pass


def _raise_interrupted(signum, frame) -> None:
    raise Interrupted()


if __name__ == "__main__":
    sys.exit(main())
