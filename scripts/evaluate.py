#!/usr/bin/env python
"""Ranking quality, every system side by side in one run: the judged set's test fold, its
cross-validation folds, the 30 shared dev worries and the automatic benchmark.

    counsel-search evaluate --index-dir indexes/counselchat [--dev ../shared/eval/dev_queries.tsv] [--json]

The index must be one of the 2020 CounselChat CSV (the judged questions' keys); without --index-dir
an index of --data / COUNSELCHAT_CSV (or the fetched public CSV) is built in a temporary directory.
Systems: the learned fusion (the packaged model, trained on folds 1-4; on the CV folds it is
retrained without the fold it is scored on), round 1's hand weights, reciprocal-rank fusion, the
two-line baseline (0.8 x best of title/body cosine + 0.2 x whole-answer cosine), dense questions
alone and BM25 questions alone. The automatic benchmark (each question finds its own answers among
answer texts only) compares the answer-side signals.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from api.wiring import open_model, ranking_config
from index.embedding import ModelError
from index.layout import IndexFormatError
from index.loader import LoadedIndex, load_index
from retriever.evaluation import (JudgedWorry, Scores, TwoLineBaseline, format_table, question_queries, read_labelled_queries,
                                  read_qrels, score_system)
from retriever.fusion import LearnedModel
from retriever.ranking import Ranker, RankingConfig
from scripts import train_ranker
from settings import Settings

DATA = train_ranker.DATA
SHARED_DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev_queries.tsv"


def ranker_system(ranker: Ranker):
    def run(text: str, vector: np.ndarray):
        ranking = ranker.rank(text, vector, 10)
        return [r.answer for r in ranking.results], ranking.low_confidence
    return run


class weights_only:
    """A learned-model stand-in that scores by one signal (single-signal baselines; never low_confidence)."""

    def __init__(self, signal: str):
        self.signal, self.confidence_threshold = signal, 0.0

    def logits(self, candidates):
        return candidates.values[self.signal]

    def probabilities(self, candidates):
        return np.ones(len(candidates.positions))


def whole_answer_vectors(index: LoadedIndex, embedder, cache_dir: Path) -> np.ndarray:
    """Each answer embedded whole (truncated by the model), for the two-line baseline; cached per index version."""
    cache = cache_dir / f"whole-answers-{index.manifest.version}.npy"
    if cache.exists():
        return np.load(cache)
    vectors = embedder.encode([a.answer for a in index.answers])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def cross_validated_learned(index: LoadedIndex, worries: list[JudgedWorry], vectors: np.ndarray,
                            shipped: LearnedModel) -> Scores:
    """The learned fusion on folds 1-4, each scored by a model trained on the other three (same signals and C)."""
    ranker = Ranker(index, RankingConfig(fusion="weighted"))
    prepared = train_ranker.prepare(ranker, worries, vectors)
    c = shipped.info.get("cross_validation", {}).get("c", 0.1)
    folds = sorted({w.fold for w in worries})
    answerable = {a.question_id for a in index.answers}
    if len(folds) < 2 or not any(w.relevant & answerable for w in worries):  # nothing to learn from: as shipped
        return score_system("learned fusion (shipped)", ranker_system(Ranker(index, RankingConfig(), shipped)), index,
                            worries, vectors)
    per_fold = []
    for fold in folds:
        fit_rows = [i for i, w in enumerate(worries) if w.fold != fold]
        held = [i for i, w in enumerate(worries) if w.fold == fold]
        model = train_ranker.fit(prepared, fit_rows, shipped.features, c)
        system = train_ranker.system_for(ranker, model, prepared, worries, shipped.confidence_threshold)
        per_fold.append(score_system("learned", system, index, [worries[i] for i in held], vectors[held]))
    return merge_folds("learned fusion (retrained per fold)", per_fold)


def merge_folds(name: str, rows: list[Scores]) -> Scores:
    total = sum(r.worries for r in rows)
    avg = lambda field: round(sum(getattr(r, field) * r.worries for r in rows) / max(total, 1), 4)
    frac = lambda field: "/".join(str(sum(int(getattr(r, field).split("/")[i]) for r in rows)) for i in (0, 1))
    return Scores(name, total, avg("ndcg_at_10"), avg("question_ndcg_at_5"), avg("hit_at_1"), avg("mrr_at_10"),
                  frac("low_confidence_answerable"), frac("low_confidence_unanswerable"),
                  round(float(np.median([r.median_ms for r in rows])), 2))


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, help="an index of the 2020 CounselChat CSV")
    parser.add_argument("--data", type=Path, default=settings.counselchat_csv,
                        help="corpus to build an index of when --index-dir is not given (env COUNSELCHAT_CSV)")
    parser.add_argument("--dev", type=Path, default=SHARED_DEV if SHARED_DEV.exists() else None,
                        help="dev worries, worry<TAB>keys (default ../shared/eval/dev_queries.tsv when present)")
    parser.add_argument("--qrels", type=Path, default=DATA / "qrels.tsv", help="the judged set (worry, key, 0/1)")
    parser.add_argument("--folds", type=Path, default=DATA / "folds.tsv", help="its folds (worry, fold; 0 = test)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    say = lambda line: print(line, file=sys.stderr)
    try:
        embedder = open_model(settings)
        with tempfile.TemporaryDirectory(prefix="counsel-eval-") as scratch:
            index = open_index(args, settings, embedder, Path(scratch), say)
            tables = evaluate(index, embedder, settings, read_qrels(args.qrels, args.folds), args.dev, say)
    except (OSError, ValueError, IndexFormatError, ModelError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"index_version": index.manifest.version,
                          "tables": {title: [r.to_dict() for r in rows] for title, rows in tables.items()}}, indent=1))
    else:
        print(f"index {index.manifest.version}; ranker: {ranking_config(settings).describe()}\n")
        print("\n\n".join(format_table(title, rows) for title, rows in tables.items()))
    return 0


def open_index(args, settings: Settings, embedder, scratch: Path, say) -> LoadedIndex:
    if args.index_dir:
        return load_index(args.index_dir, expected_model=settings.embedding_model)
    from index.builder import build_index
    from index.corpus import load_corpus
    from index.fetch import fetch_counselchat

    data = args.data or fetch_counselchat(settings.data_cache_dir)
    say(f"building an index of {data} in {scratch} ...")
    build_index(load_corpus(data), embedder, scratch / "index", model_name=settings.embedding_model,
                passage_tokens=settings.passage_tokens)
    return load_index(scratch / "index")


def evaluate(index: LoadedIndex, embedder, settings: Settings, worries: list[JudgedWorry], dev: Path | None,
             say) -> dict[str, list[Scores]]:
    test = [w for w in worries if w.fold == train_ranker.TEST_FOLD]
    train = [w for w in worries if w.fold != train_ranker.TEST_FOLD]
    config = ranking_config(settings)
    learned = Ranker(index, replace(config, fusion="learned"))
    whole = whole_answer_vectors(index, embedder, settings.model_cache_dir)
    systems = {
        "learned fusion (shipped: trained on folds 1-4)": ranker_system(learned),
        "round 1 hand weights": ranker_system(Ranker(index, replace(config, fusion="weighted"))),
        "reciprocal-rank fusion": ranker_system(Ranker(index, replace(config, fusion="rrf"))),
        "two-line baseline (0.8 title/body + 0.2 whole answer)": TwoLineBaseline(index, whole),
        "dense questions (best of title, body, both)": ranker_system(
            Ranker(index, replace(config, fusion="weighted"), weights_only("q_best"))),
        "BM25 questions": ranker_system(Ranker(index, replace(config, fusion="weighted"), weights_only("bm25_q"))),
    }
    tables: dict[str, list[Scores]] = {}
    sets = [(title, rows) for title, rows in (("judged set, test fold 0 (held out)", test),
                                              ("judged set, folds 1-4", train)) if rows]
    if dev is not None:
        sets.append((f"dev worries ({dev.name})", read_labelled_queries(dev)))
    for title, rows in sets:
        say(f"running {title} ({len(rows)} worries)")
        vectors = embedder.encode([w.text for w in rows])
        scored = [score_system(name, system, index, rows, vectors) for name, system in systems.items()]
        if title.endswith("folds 1-4"):
            scored[0] = cross_validated_learned(index, rows, vectors, learned.model)
        tables[title] = scored
    say("running the automatic benchmark (824 questions)")
    queries = question_queries(index)
    vectors = embedder.encode([q.text for q in queries])
    answer_side = {
        "learned fusion, answer signals only": ranker_system(Ranker(index, replace(config, fusion="learned",
                                                                              group_by_question=False),
                                                             answer_only(learned.model))),
        "round 1 answer side ((best + 0.3 mean passage) / 1.3)": ranker_system(Ranker(
            index, replace(config, fusion="weighted", group_by_question=False), weights_only("a_best"))),
        "whole-answer cosine (the baseline's second line)": TwoLineBaseline(index, whole, question_weight=0.0),
    }
    tables["automatic: each question finds its own answers among answer texts only"] = [
        score_system(name, system, index, queries, vectors) for name, system in answer_side.items()]
    return tables


def answer_only(model: LearnedModel) -> LearnedModel:
    """`model` with every question signal held at its mean (so it reads the answers alone)."""
    names = (*model.features, "answers")
    coef = np.array([0.0 if f.startswith(("q_", "bm25_q", "subject")) else w for f, w in zip(names, model.coef)])
    return replace(model, coef=coef)


if __name__ == "__main__":
    sys.exit(main())
