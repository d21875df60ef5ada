#!/usr/bin/env python
"""Search the index from the command line.

    python scripts/search.py "is it normal to cry during therapy" --k 5 [--topic anxiety] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import textwrap

from api.wiring import open_service
from index.embedding import ModelError
from index.layout import IndexFormatError
from retriever.ranking import RankedAnswer
from retriever.safety import SafetyConfigError, SafetyVerdict
from retriever.service import QueryError
from scripts.options import add_model_options, with_model_options
from settings import Settings


def format_help(verdict: SafetyVerdict, width: int = 100) -> str:
    """The help block printed before any result when a query is flagged (or the check failed)."""
    lines = ["=" * width, verdict.message or "If you are in danger, please reach out now:"]
    for resource in verdict.resources:
        lines.append(f"  * {resource.name}: {resource.contact}" + (f"  ({resource.url})" if resource.url else ""))
    if verdict.error:
        lines.append(f"  (note: {verdict.error})")
    lines.append("You deserve support; talking to someone can help.")
    lines.append("=" * width)
    return "\n".join(lines)


def format_result(rank: int, result: RankedAnswer, width: int = 100) -> str:
    answer = result.answer
    body = result.highlight.text if result.highlight else answer.answer
    lines = [f"{rank}. {answer.question_title}  [{answer.topic}]  score {result.score:.3f}  confidence {result.confidence:.2f}",
             f"   {answer.therapist} · {answer.upvotes} upvotes · {answer.question_url}",
             textwrap.indent(textwrap.fill(body, width - 6), "   > ")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("query", help="the worry, in your own words")
    parser.add_argument("--k", type=int, default=5, help="number of answers (1..%d)" % settings.max_k)
    parser.add_argument("--topic", action="append", help="only this topic (repeatable)")
    parser.add_argument("--index-dir", default=settings.index_dir, help="index directory (env INDEX_DIR)")
    add_model_options(parser, settings)
    parser.add_argument("--json", action="store_true", help="print the API's JSON response")
    args = parser.parse_args(argv)
    try:
        service = open_service(with_model_options(args, settings).model_copy(update={"index_dir": args.index_dir}),
                               threads=settings.embedding_threads)  # one query: every core (0) unless set
        outcome = service.search(args.query, args.k, args.topic)
    except (IndexFormatError, ModelError, QueryError, SafetyConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        from api.convert import search_response

        response = search_response(outcome, service.index.manifest.version)
        print(json.dumps(response.model_dump(), ensure_ascii=False, indent=2))
        return 0
    if outcome.safety.crisis:
        print(format_help(outcome.safety), end="\n\n")
    elif outcome.safety.message:  # a gentle word: the message touched these topics without being a crisis
        print(outcome.safety.message, end="\n\n")
    for rank, result in enumerate(outcome.ranking.results, start=1):
        print(format_result(rank, result), end="\n\n")
    if not outcome.ranking.results:
        print("No answers found.")
    elif outcome.ranking.low_confidence:
        print("Note: none of these answers fits the worry well (low confidence).")
    print(f"({len(outcome.ranking.results)} answers in {outcome.took_ms:.0f} ms)")
    print(outcome.safety.notice)
    return 0


if __name__ == "__main__":
    sys.exit(main())
