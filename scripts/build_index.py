#!/usr/bin/env python
"""Build (or incrementally update) a counsel-search index from a CounselChat CSV or JSON Lines file.

    python scripts/build_index.py --data counsel_chat.csv --index-dir indexes/counselchat

Without --data (and without COUNSELCHAT_CSV) the public CounselChat CSV is fetched, checked
against its sha256 and cached. Exit codes: 0 built, 1 failed (the current index is untouched),
2 bad input.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import _bootstrap  # noqa: F401

from index.builder import build_index
from index.corpus import CorpusError, load_corpus
from index.embedder import BACKENDS, ModelError, open_embedder
from index.fetch import FetchError, fetch_counselchat
from index.layout import BuildLockedError
from index.safety_tags import tag_lethal_means
from settings import Settings


def parse_args(settings: Settings, argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=settings.counselchat_csv,
                        help="CSV or JSON Lines corpus (env COUNSELCHAT_CSV); fetched from the public source if unset")
    parser.add_argument("--index-dir", default=settings.index_dir, help="index directory (env INDEX_DIR)")
    parser.add_argument("--model", default=settings.embedding_model,
                        help="sentence-transformers model name or path (env EMBEDDING_MODEL)")
    parser.add_argument("--backend", default=settings.embedding_backend, choices=BACKENDS,
                        help="runs the model: onnx (fast, default) or torch (env EMBEDDING_BACKEND)")
    parser.add_argument("--passage-tokens", type=int, default=settings.passage_tokens,
                        help="max model tokens per passage (env PASSAGE_TOKENS)")
    parser.add_argument("--keep-versions", type=int, default=settings.keep_versions,
                        help="index versions to keep on disk (env KEEP_VERSIONS)")
    parser.add_argument("--incremental", action="store_true", help="reuse vectors of unchanged texts")
    parser.add_argument("--skip-bad-rows", action="store_true", help="skip malformed rows instead of failing")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of a sentence")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    args = parse_args(settings, argv)
    started = time.perf_counter()
    try:
        data = args.data or fetch_counselchat(settings.data_cache_dir)
        corpus = load_corpus(data, skip_bad_rows=args.skip_bad_rows)
    except (CorpusError, FetchError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        embedder = open_embedder(args.model, args.backend, onnx_file=settings.onnx_file,
                                 threads=settings.embedding_threads)  # 0 = every core: a build has the machine
        report = build_index(corpus, embedder, args.index_dir, model_name=args.model,
                             passage_tokens=args.passage_tokens, keep_versions=args.keep_versions,
                             incremental=args.incremental, taggers=default_taggers(),
                             progress=sys.stderr.isatty() and not args.json)
    except BuildLockedError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (ModelError, OSError, RuntimeError) as error:
        print(f"error: build failed, the current index is untouched: {error}", file=sys.stderr)
        return 1
    total = time.perf_counter() - started
    summary = report.to_dict() | {"bad_rows": len(corpus.bad_rows), "duplicates_merged": corpus.duplicates_merged,
                                  "seconds_total": round(total, 2)}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"indexed {report.answers} answers ({report.passages} passages) to {report.questions} questions "
              f"in {report.seconds:.1f} s ({report.answers_per_second:.1f} answers/s; {report.embedded} texts "
              f"embedded, {report.reused} reused; {corpus.duplicates_merged} duplicates merged) -> {report.path}")
        for problem in corpus.bad_rows[:10]:
            print(f"skipped: {problem}", file=sys.stderr)
    return 0


def default_taggers():
    """Answer taggers run at index time: `lethal_means` marks answers the ranker demotes for crisis queries."""
    return (tag_lethal_means,)


if __name__ == "__main__":
    sys.exit(main())
