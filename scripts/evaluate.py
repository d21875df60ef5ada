#!/usr/bin/env python
"""Evaluate the ranker against baselines on labelled worries and on the automatic benchmark.

    python scripts/evaluate.py --data 20200325_counsel_chat.csv --queries dev_queries.tsv \\
        [--index-dir indexes/counselchat] [--json] [--no-automatic]

Without --index-dir (or when it holds no index) an index of --data is built into a temporary
directory first (about two minutes for CounselChat). An existing index must have been built from
the same file (checked by its sha256). The ranker is configured by the same environment variables
as the service (see settings.py), so the table shows what the service would do.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from api.wiring import ranking_config
from index.corpus import CorpusError, file_sha256, load_corpus
from index.embedding import Embedder, ModelError
from index.layout import IndexFormatError
from index.loader import load_index
from retriever.evaluation import (automatic_systems, format_table, labelled_systems, question_queries,
                                  read_labelled_queries, run_benchmark)
from scripts.options import add_model_options, open_model
from settings import Settings


def open_index(args, embedder: Embedder, workdir: Path):
    """The index to evaluate: the given one (checked against --data), or a fresh build of --data."""
    if args.index_dir and Path(args.index_dir).exists():
        index = load_index(args.index_dir, expected_model=args.model)
        if index.manifest.corpus_sha256 != file_sha256(Path(args.data)):
            raise IndexFormatError(f"{args.index_dir} was not built from {args.data} (sha256 differs); "
                                   "rebuild it or omit --index-dir")
        return index
    from index.builder import build_index

    target = Path(args.index_dir) if args.index_dir else workdir / "index"
    print(f"building an index of {args.data} in {target} ...", file=sys.stderr)
    build_index(load_corpus(args.data), embedder, target, model_name=args.model,
                passage_tokens=Settings().passage_tokens)
    return load_index(target, expected_model=args.model)


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="the corpus the index was built from (CSV or JSON Lines)")
    parser.add_argument("--queries", required=True, help="TSV: worry<TAB>relevant question keys, comma-separated")
    parser.add_argument("--index-dir", help="an index of --data (default: build one in a temporary directory)")
    add_model_options(parser, settings)
    parser.add_argument("--no-automatic", action="store_true", help="skip the automatic question->answers benchmark")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    ranker = ranking_config(settings)
    try:
        queries = read_labelled_queries(args.queries)
        embedder = open_model(args, settings)
        with tempfile.TemporaryDirectory(prefix="counsel-eval-") as workdir:
            index = open_index(args, embedder, Path(workdir))
            say = None if args.json else (lambda line: print(f"  running {line}", file=sys.stderr))
            reports = [run_benchmark("labelled worries", f"{Path(args.queries).name}, hand-judged", embedder, index,
                                     queries, labelled_systems(ranker), say)]
            if not args.no_automatic:
                reports.append(run_benchmark(
                    "automatic", "each question (title and body) finds its own answers among answer texts only",
                    embedder, index, question_queries(index), automatic_systems(ranker), say))
    except (OSError, ValueError, CorpusError, IndexFormatError, ModelError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"index_version": index.manifest.version, "passage_tokens": index.manifest.passage_tokens,
                          "ranking": ranker.describe(), "benchmarks": [r.to_dict() for r in reports]}, indent=2))
        return 0
    print(f"index {index.manifest.version} (passage tokens {index.manifest.passage_tokens}); "
          f"ranker: {ranker.describe()}\n")
    print("\n\n".join(format_table(r) for r in reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
