#!/usr/bin/env python
"""Build the project's judged development set (data/ranking/): pool, then merge the judgements.

    python scripts/judged_set.py pool --index-dir IDX --out /tmp/pools [--mpnet DIR]   # top 20 of each ranker
    python scripts/judged_set.py merge --judged /tmp/pools/judged-*.tsv                # -> data/ranking/qrels.tsv

`pool` runs every worry of data/ranking/worries-*.tsv through several different rankers and keeps the
union of each one's top 20 questions (distinct questions in order of first appearance):
- the service's ranker (answers, grouped by question),
- BM25 over question title + body,
- the two-line baseline: 0.8 x best of title/body cosine + 0.2 x whole-answer cosine (MiniLM),
- with --mpnet: the same two lines with all-mpnet-base-v2 (a stronger, slower encoder).
It writes one JSON Lines file per chunk of worries for the assessors, holding each pooled question's
title and body READ FROM THE CSV: these files are working files, never committed (only keys and labels
are). `merge` reads the assessors' `worry<TAB>question key<TAB>0|1` files, checks every pooled pair was
judged exactly once, and writes data/ranking/qrels.tsv and data/ranking/folds.tsv. The judging rule is
data/ranking/JUDGING.md.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "ranking"
POOL_DEPTH = 20
FOLDS = 5


def read_worries() -> list[tuple[str, str, str, str]]:
    """(worry, topic, style, writer) for every line of data/ranking/worries-*.tsv."""
    rows = []
    for path in sorted(DATA.glob("worries-*.tsv")):
        writer = path.stem.split("-", 1)[1]
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                worry, topic, style = line.split("\t")
                rows.append((worry.strip(), topic, style, writer))
    return rows


def first_questions(question_ids, depth: int = POOL_DEPTH) -> list[str]:
    seen: list[str] = []
    for qid in question_ids:
        if qid not in seen:
            seen.append(qid)
            if len(seen) == depth:
                break
    return seen


def pool(args: argparse.Namespace) -> int:
    from api.wiring import open_service
    from retriever.lexical import LexicalIndex
    from settings import Settings

    settings = Settings().model_copy(update={"index_dir": args.index_dir})
    service = open_service(settings, threads=0)
    index = service.index
    worries = read_worries()
    texts = [w for w, *_ in worries]
    vectors = service.embedder.encode(texts)
    questions = index.questions
    qids = [q.question_id for q in questions]
    views = index.question_views  # (2, questions, dim): title, body
    answers = index.answers
    answer_question = np.array([qids.index(a.question_id) for a in answers])
    whole = _whole_answer_vectors(service.embedder, answers, Path(args.out) / "minilm-answers.npy")
    bm25 = LexicalIndex([q.embedding_text for q in questions])
    rankers: dict[str, list[list[str]]] = defaultdict(list)
    for text, vector in zip(texts, vectors):
        ranked = service.search(text, 50, query_vector=vector).ranking.results
        rankers["service"].append(first_questions(r.answer.question_id for r in ranked))
        scores = bm25.scores(text)
        rankers["bm25_questions"].append([qids[i] for i in np.argsort(-scores, kind="stable")[:POOL_DEPTH]
                                          if scores[i] > 0])
        rankers["two_line_minilm"].append(_two_line(vector, views, whole, answer_question, qids))
    if args.mpnet:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(args.mpnet, device="cpu")
        encode = lambda items: model.encode(items, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
        mp_views = np.stack([encode([q.view_texts()[v] for q in questions]) for v in range(2)])
        cache = Path(args.out) / "mpnet-answers.npy"
        mp_whole = np.load(cache) if cache.exists() else encode([a.answer for a in answers])
        np.save(cache, mp_whole)
        for vector in encode(texts):
            rankers["two_line_mpnet"].append(_two_line(vector, mp_views, mp_whole, answer_question, qids))
    by_key = {q.question_id: q for q in questions}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chunk_of = {}
    items = []
    for n, (worry, topic, style, writer) in enumerate(worries):
        pooled = sorted({k for ranking in rankers.values() for k in ranking[n]})
        items.append({"worry": worry, "topic": topic, "style": style, "writer": writer,
                      "questions": [{"key": k, "title": by_key[k].title, "body": by_key[k].text,
                                     "topics": by_key[k].topics} for k in pooled]})
    for n, item in enumerate(items):
        chunk_of.setdefault(n * args.chunks // len(items), []).append(item)
    for chunk, rows in chunk_of.items():
        with open(out / f"pool-{chunk + 1}.jsonl", "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    sizes = [len(i["questions"]) for i in items]
    print(f"{len(items)} worries, {sum(sizes)} pooled pairs (mean {np.mean(sizes):.1f}, max {max(sizes)}) "
          f"from {', '.join(rankers)} -> {out}/pool-*.jsonl")
    return 0


def _whole_answer_vectors(embedder, answers, cache: Path) -> np.ndarray:
    if cache.exists():
        return np.load(cache)
    vectors = embedder.encode([a.answer for a in answers])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def _two_line(vector, views, whole, answer_question, qids) -> list[str]:
    """0.8 x the best of title/body cosine + 0.2 x whole-answer cosine, per answer; questions by first answer."""
    question = (views @ vector).max(axis=0)
    scores = 0.8 * question[answer_question] + 0.2 * (whole @ vector)
    return first_questions(qids[answer_question[i]] for i in np.argsort(-scores, kind="stable"))


def merge(args: argparse.Namespace) -> int:
    """Check and merge the assessors' files into qrels.tsv (sorted) and folds.tsv (by worry)."""
    pools = {}
    for path in sorted(Path(args.pools).glob("pool-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            pools[row["worry"]] = {q["key"] for q in row["questions"]}
    judged: dict[tuple[str, str], int] = {}
    source: dict[tuple[str, str], str] = {}
    overlap = agreed = 0
    for path in sorted(args.judged):  # a worry two writers wrote alike was judged twice: the first file's label stays
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            worry, key, label = line.split("\t")
            if worry not in pools or key not in pools[worry] or label not in {"0", "1"}:
                raise SystemExit(f"{path}:{number}: not a pooled pair with a 0/1 label")
            if (worry, key) in judged:
                if source[(worry, key)] == path:
                    raise SystemExit(f"{path}:{number}: judged twice in one file")
                overlap += 1
                agreed += judged[(worry, key)] == int(label)
                continue
            judged[(worry, key)], source[(worry, key)] = int(label), path
    missing = [(w, k) for w, keys in pools.items() for k in keys if (w, k) not in judged]
    if missing:
        raise SystemExit(f"{len(missing)} pooled pairs are not judged, e.g. {missing[0]}")
    worries = read_worries()
    order = {w: n for n, (w, *_) in enumerate(worries)}
    with open(DATA / "qrels.tsv", "w", encoding="utf-8") as handle:
        handle.write("# worry<TAB>question key<TAB>1 relevant / 0 judged not relevant (JUDGING.md); pooled: README.md\n")
        for (worry, key), label in sorted(judged.items(), key=lambda item: (order[item[0][0]], item[0][1])):
            handle.write(f"{worry}\t{key}\t{label}\n")
    rng = random.Random(20261204)
    shuffled = list(range(len(worries)))
    rng.shuffle(shuffled)
    fold = {n: i % FOLDS for i, n in enumerate(shuffled)}
    with open(DATA / "folds.tsv", "w", encoding="utf-8") as handle:
        handle.write(f"# worry<TAB>fold 0..{FOLDS - 1}: split once, at random (seed 20261204); fold 0 is the test fold\n")
        for n, (worry, *_) in enumerate(worries):
            handle.write(f"{worry}\t{fold[n]}\n")
    positives = sum(judged.values())
    answerable = sum(1 for w in pools if any(judged[(w, k)] for k in pools[w]))
    print(f"{len(judged)} judgements ({positives} relevant) for {len(pools)} worries; "
          f"{len(pools) - answerable} with no relevant question"
          + (f"; {overlap} pairs judged by two assessors, {agreed / overlap:.0%} agreement" if overlap else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("pool", help="pool the top questions of several rankers for every worry")
    p.add_argument("--index-dir", type=Path, required=True, help="an index of the 2020 CounselChat CSV")
    p.add_argument("--out", type=Path, required=True, help="where the pool files go (outside the repository)")
    p.add_argument("--mpnet", help="folder of all-mpnet-base-v2 (sentence-transformers) for a fourth ranker")
    p.add_argument("--chunks", type=int, default=8, help="pool files, one per assessor")
    m = commands.add_parser("merge", help="merge the judgements into data/ranking/qrels.tsv and folds.tsv")
    m.add_argument("--pools", type=Path, required=True, help="the folder `pool` wrote")
    m.add_argument("--judged", nargs="+", required=True, help="the assessors' TSV files")
    args = parser.parse_args(argv)
    return pool(args) if args.command == "pool" else merge(args)


if __name__ == "__main__":
    sys.exit(main())
