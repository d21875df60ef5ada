#!/usr/bin/env python
"""The crisis check's figures: cross-validated, held out, on the dev set, its latency, and what sits under the help lines.

    counsel-search safety-eval [--index-dir IDX] [--cross-validate] [--json]

1. Cross-validation (leave one writer out, thresholds chosen inside each split: scripts/train_safety.py):
   the figures of the shipped model's training run (retriever/safety/data/classifier_report.json), or
   recomputed now with --cross-validate (a few minutes).
2. The held-out file tests/data/safety_holdout.tsv (written apart, never trained on): recall per level
   and per kind, false alarms per look-alike kind, Spanish.
3. ../shared/eval/dev_crisis.tsv when present (text<TAB>1 crisis / 0 not).
4. Latency: the check per query beside the query encoding the search does anyway, in the same run.
5. With --index-dir (an index of the CounselChat CSV): for every held-out message of a person at risk
   of harming themselves, whether at least 2 of the top 3 answers come from questions of people in
   that situation (thoughts of death or suicide, self-harm, hopelessness), and how many quoted
   passages (highlights and /v1/context passages) describe a method, a dose or a place (target 0).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from api.wiring import open_model, open_service
from retriever.safe_passages import is_unsafe
from retriever.safety import SafetyCheck, load_resources
from retriever.safety.classifier import DEFAULT_MODEL_FILE
from scripts.stats import nearest_rank
from settings import Settings

ROOT = Path(__file__).resolve().parents[1]
HOLDOUT = ROOT / "tests" / "data" / "safety_holdout.tsv"
DEV_CRISIS = ROOT.parent / "shared" / "eval" / "dev_crisis.tsv"
REPORT = DEFAULT_MODEL_FILE.with_name("classifier_report.json")
AT_RISK_SITUATIONS = {"situation:suicidal", "situation:self_harm"}


def read_holdout(path: Path) -> list[dict]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            level, kind, subject, language, _style, text = line.split("\t")
            rows.append({"level": level, "kind": kind, "subject": subject, "language": language, "text": text})
    return rows


def held_out_figures(rows: list[dict], verdicts) -> dict:
    """The training run's figures (scripts/train_safety.py `figures`), for the held-out messages and
    the service's own verdicts."""
    from retriever.safety.check import Decision
    from scripts.train_safety import Example, figures

    examples = [Example(r["text"], r["level"], r["kind"], r["subject"], r["language"], "holdout") for r in rows]
    decisions = [Decision(v.level, v.categories, v.subject == "someone_else", v.sources, False) for v in verdicts]
    return figures(examples, decisions)


def retrieval_figures(service, rows: list[dict]) -> dict:
    """Issue 21's measure on the held-out messages of people at risk of harming themselves."""
    from retriever.context import gather_context

    at_risk = [r for r in rows if r["level"] != "none" and r["subject"] == "self" and r["language"] == "en"
               and r["kind"] in {"passive_wish", "active_ideation", "ideation_method", "intent", "plan",
                                 "preparatory", "attempt", "self_harm"}]
    right, unsafe, quoted, flagged, empty = 0, 0, 0, 0, 0
    for row in at_risk:
        outcome = service.search(row["text"], 3)
        if not outcome.safety.crisis:
            continue
        flagged += 1
        top = outcome.ranking.results[:3]
        empty += not top
        right += sum(1 for r in top if AT_RISK_SITUATIONS.intersection(r.answer.flags)) >= 2
        context = gather_context(service, row["text"], 800, 5)
        passages = [r.highlight.text for r in top if r.highlight] + [p.text for p in context.packed.passages]
        quoted += len(passages)
        unsafe += sum(1 for p in passages if is_unsafe(p))
    return {"messages": len(at_risk), "flagged": flagged,
            "top3_at_least_2_from_the_situation": round(right / max(len(at_risk), 1), 4),
            "no_result_low_confidence": empty, "passages_quoted": quoted, "passages_describing_a_method": unsafe}


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, help="an index of the CounselChat CSV, for the retrieval part")
    parser.add_argument("--cross-validate", action="store_true", help="recompute the cross-validation (minutes)")
    parser.add_argument("--holdout", type=Path, default=HOLDOUT, help="the held-out messages")
    parser.add_argument("--dev", type=Path, default=DEV_CRISIS if DEV_CRISIS.exists() else None,
                        help="text<TAB>label lines (default ../shared/eval/dev_crisis.tsv when present)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures: dict = {}
    if args.cross_validate:
        from scripts import train_safety

        figures["cross_validation"] = train_safety.cross_validation_figures(settings)
    else:
        figures["cross_validation"] = json.loads(REPORT.read_text(encoding="utf-8")).get("cross_validation")
    embedder = open_model(settings, threads=1)  # one query at a time, as a search thread runs it
    check = SafetyCheck.build(load_resources(settings.safety_region, settings.safety_resources_file))
    rows = read_holdout(args.holdout)
    vectors, encode_ms = [], []
    for row in rows:
        started = time.perf_counter()
        vectors.append(embedder.encode([row["text"]], batch_size=1)[0])
        encode_ms.append((time.perf_counter() - started) * 1000)
    verdicts, check_ms = [], []
    for row, vector in zip(rows, vectors):
        started = time.perf_counter()
        verdicts.append(check.check(row["text"], vector))
        check_ms.append((time.perf_counter() - started) * 1000)
    figures["held_out"] = held_out_figures(rows, verdicts)
    figures["latency_ms"] = {"check_median": round(statistics.median(check_ms), 3),
                             "check_p95": round(nearest_rank(check_ms, 95), 3),
                             "encode_median": round(statistics.median(encode_ms), 2),
                             "check_share_of_encode": round(statistics.median(check_ms) / statistics.median(encode_ms), 4)}
    if args.dev is not None:
        dev = [line.split("\t") for line in args.dev.read_text(encoding="utf-8").splitlines() if line.strip()]
        got = [(label.strip() == "1", check.check(text, embedder.encode([text])[0]).crisis) for text, label in dev]
        figures["dev_crisis"] = {"crises_flagged": f"{sum(g for c, g in got if c)}/{sum(c for c, _ in got)}",
                                 "false_alarms": f"{sum(g for c, g in got if not c)}/{sum(not c for c, _ in got)}"}
    if args.index_dir:
        service = open_service(settings.model_copy(update={"index_dir": args.index_dir}))
        figures["retrieval"] = retrieval_figures(service, rows)
        service.close()
    print(json.dumps(figures, indent=1) if args.json else format_figures(figures))
    return 0


def format_figures(figures: dict) -> str:
    out = []
    from scripts.train_safety import format_figures as table

    for variant, f in (figures.get("cross_validation") or {}).items():
        out.append(table(f"cross-validated, leave one writer out ({variant} variant)", f) + "\n")
    out.append(table(f"held out ({HOLDOUT.name}, never trained on)", figures["held_out"]))
    lat = figures["latency_ms"]
    out.append(f"\nlatency: check median {lat['check_median']} ms (p95 {lat['check_p95']}), query encoding median "
               f"{lat['encode_median']} ms: the check is {lat['check_share_of_encode']:.1%} of the encoding")
    if "dev_crisis" in figures:
        out.append(f"dev_crisis: crises flagged {figures['dev_crisis']['crises_flagged']}, "
                   f"false alarms {figures['dev_crisis']['false_alarms']}")
    if "retrieval" in figures:
        r = figures["retrieval"]
        out.append(f"retrieval: {r['messages']} held-out messages of people at risk ({r['flagged']} flagged): "
                   f"{r['top3_at_least_2_from_the_situation']:.1%} with at least 2 of the top 3 answers from their "
                   f"situation; {r['no_result_low_confidence']} with no result (help lines alone); "
                   f"{r['passages_describing_a_method']} of {r['passages_quoted']} quoted passages describe a method")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
