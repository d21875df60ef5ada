#!/usr/bin/env python
"""Train the crisis classifier (retriever/safety/data/classifier.npz) and report cross-validated figures.

    python scripts/train_safety.py                 # train, write the model and its report
    python scripts/train_safety.py --report-only   # only the cross-validation

Data (all shipped in data/safety/, written and labelled for this project; see GUIDE.md):
- messages-<writer>.tsv: crisis messages and look-alikes, each file by one writer;
- index/data/counselchat_labels.tsv: the 940 real CounselChat questions (both snapshots) labelled by
  key (also what the builder tags each question's situation with); their text is read from the CSVs
  (COUNSELCHAT_CSV, --counselchat, or ../shared), never stored in the repository.
Never trained on: tests/data/safety_holdout.tsv and ../shared/eval/dev_crisis.tsv (scripts/safety_eval.py
scores those).

Cross-validation holds out one writer at a time (the CounselChat questions count as one writer), so
every figure is on phrasings by a writer the model never read. Thresholds are chosen for recall first
inside each training split (on its own inner leave-one-writer-out predictions), then applied to the
held-out writer: the reported figures never saw the texts they are computed on, thresholds included.
The final model is trained on everything, with thresholds chosen the same way on all writers.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.safety_tags import COUNSELCHAT_LABELS
from retriever.safety.classifier import DEFAULT_MODEL_FILE, HEADS, Head, Neighbours, SafetyClassifier, save
from retriever.safety.features import BUCKETS, NAMED, read
from retriever.safety.taxonomy import FAMILIES, HIGH, IMMINENT, KIND_BY_NAME, NONE, family_of

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "safety"
SHARED_CSVS = [ROOT.parent / "shared" / "data" / "counselchat" / f for f in
               ("20200325_counsel_chat.csv", "20220401_counsel_chat.csv")]
REPORT_FILE = DEFAULT_MODEL_FILE.with_name("classifier_report.json")
C = 0.5  # inverse regularisation of the logistic heads (leave-one-writer-out: 0.1 and 2 were no better)
VECTOR_SCALE = 10.0  # the query vector's components are ~0.05: scaled so the penalty treats it like the counts
NEIGHBOURS = {"k": 15, "temperature": 20.0, "weight": 6.0}  # leave-one-writer-out: k 5-50, weight 1-15 tried
RECALL_TARGETS = {"crisis": 0.99, "high": 0.95, "imminent": 0.90}
COUNSELCHAT = "counselchat"  # the group of the real CounselChat questions
ORDINARY_TITLE, ORDINARY_WORRY = "counselchat_title", "ordinary_worry"  # look-alike kinds of the added negatives
DANGER_TOPICS = {"self-harm", "domestic-violence", "trauma", "eating-disorders"}  # worries there are not look-alikes


@dataclass(frozen=True)
class Example:
    text: str
    level: str
    kind: str  # a taxonomy kind for crisis rows, the look-alike kind (or "-") for none
    subject: str  # self / other
    language: str
    group: str  # the writer (a file), or "counselchat"


def read_messages(path: Path) -> list[Example]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        level, kind, subject, language, _style, text = line.split("\t")
        rows.append(Example(text, level, kind, subject, language, path.stem.removeprefix("messages-")))
    return rows


def read_counselchat(csvs: list[Path]) -> list[Example]:
    labels = {}
    for line in COUNSELCHAT_LABELS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, level, kind, _situation = line.split("\t")
            labels[key] = (level, kind)
    texts, titles = {}, {}
    csv.field_size_limit(1 << 30)
    for path in csvs:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                key = row["questionLink"].rstrip("/").rsplit("/", 1)[-1]
                texts.setdefault(key, " ".join(f"{row['questionTitle']} {row['questionText'] or ''}".split()))
                titles.setdefault(key, " ".join(row["questionTitle"].split()))
    missing = sorted(set(labels) - set(texts))
    if missing:
        raise SystemExit(f"{len(missing)} labelled questions are in none of {', '.join(map(str, csvs))}")
    questions = [Example(texts[k], level, kind, "self", "en", COUNSELCHAT) for k, (level, kind) in sorted(labels.items())]
    # the titles of questions that are no crisis: short ordinary worries, the way people type into a search box
    ordinary = [Example(titles[k], NONE, ORDINARY_TITLE, "self", "en", COUNSELCHAT)
                for k, (level, _) in sorted(labels.items()) if level == NONE and titles[k].lower() != texts[k].lower()]
    return questions + ordinary


def read_worries() -> list[Example]:
    """The judged ranking set's worries (data/ranking/), written as ordinary worries: all but those in the
    topics of a danger or that state one ("i've been cutting again"), which are not look-alikes."""
    from retriever.safety.lexicon import scan

    rows = []
    for path in sorted((ROOT / "data" / "ranking").glob("worries-*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            text, topic, _style = line.split("\t")
            if topic in DANGER_TOPICS or scan(text).categories:
                continue
            rows.append(Example(text, NONE, ORDINARY_WORRY, "self", "en", "worries-" + path.stem.removeprefix("worries-")))
    return rows


def load_examples(csvs: list[Path], writers: list[str] | None = None) -> list[Example]:
    """Every writer's messages (or only `writers`'), the labelled CounselChat questions and their titles,
    and the judged set's ordinary worries (without them, ordinary worries near a crisis topic were flagged)."""
    paths = sorted(DATA.glob("messages-*.tsv"))
    if writers:
        paths = [p for p in paths if p.stem.removeprefix("messages-") in writers]
    return [e for path in paths for e in read_messages(path)] + read_counselchat(csvs) + read_worries()


def encode_all(texts: list[str], cache: Path) -> np.ndarray:
    """Query vectors of `texts` as the service computes them, kept in `cache` by text hash."""
    from api.wiring import open_model
    from settings import Settings

    stored: dict[str, np.ndarray] = {}
    if cache.exists():
        with np.load(cache) as data:
            stored = dict(zip(data["keys"].tolist(), data["vectors"]))
    keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts) if k not in stored}.items())
    if todo:
        embedder = open_model(Settings(), threads=0)
        vectors = embedder.encode([t for _, t in todo], batch_size=32)
        stored.update({k: v for (k, _), v in zip(todo, vectors)})
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, keys=np.array(list(stored)), vectors=np.stack(list(stored.values())))
    return np.stack([stored[k] for k in keys]).astype(np.float32)


def design(examples: list[Example], vectors: np.ndarray):
    """(dense full, dense text-only, hashed CSR, readings) for every example."""
    from scipy import sparse

    readings = [read(e.text) for e in examples]
    named = np.stack([r.named for r in readings])
    rows = np.concatenate([np.full(len(r.hashed), i) for i, r in enumerate(readings)])
    cols = np.concatenate([r.hashed for r in readings])
    hashed = sparse.csr_matrix((np.ones(len(cols), dtype=np.float32), (rows, cols)), shape=(len(examples), BUCKETS))
    return np.hstack([vectors * VECTOR_SCALE, named]), named, hashed, readings


def targets(examples: list[Example]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per head: (labels, mask of the examples it is trained on)."""
    level = np.array([e.level for e in examples])
    crisis = level != NONE
    out = {"crisis": (crisis, np.ones(len(examples), bool)),
           "high": (np.isin(level, [HIGH, IMMINENT]), np.ones(len(examples), bool)),
           "imminent": (level == IMMINENT, np.ones(len(examples), bool)),
           "someone_else": (np.array([e.subject == "other" for e in examples]), crisis)}
    family = np.array([family_of(e.kind) if e.kind in KIND_BY_NAME else "" for e in examples])
    for f in FAMILIES:
        out[f"family:{f}"] = (family == f, crisis & (family != ""))
    return out


def label_matrix(labels) -> np.ndarray:
    """(texts, HEADS): 1/0 where a head is trained on the text, NaN where it is not (the neighbours' labels)."""
    return np.stack([np.where(labels[h][1], labels[h][0].astype(np.float32), np.nan) for h in HEADS], axis=1)


def votes(vectors: np.ndarray, matrix: np.ndarray, rows: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Neighbour votes of `rows` among the `reference` texts only (never themselves or their writer)."""
    knn = Neighbours(vectors[reference], matrix[reference], NEIGHBOURS["k"], NEIGHBOURS["temperature"],
                     NEIGHBOURS["weight"])
    return np.stack([knn.votes(vectors[i]) for i in rows])


def fit_heads(dense, hashed, labels, train: np.ndarray, heads=HEADS, c: float = C) -> dict[str, Head]:
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    X = sparse.hstack([sparse.csr_matrix(dense), hashed]).tocsr()
    fitted = {}
    for name in heads:
        y, mask = labels[name]
        use = train & mask
        width = dense.shape[1]
        if y[use].all() or not y[use].any():  # one class only: a constant head
            p = 0.999 if y[use].all() else 0.001
            fitted[name] = Head(np.zeros(width, np.float32), np.zeros(BUCKETS, np.float32), float(np.log(p / (1 - p))))
            continue
        model = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=2000)
        model.fit(X[use], y[use])
        w = model.coef_[0]
        fitted[name] = Head(w[:width].astype(np.float32), w[width:].astype(np.float32), float(model.intercept_[0]))
    return fitted


def probabilities(heads: dict[str, Head], dense, readings, rows, vote: np.ndarray | None = None
                  ) -> dict[str, np.ndarray]:
    """Per head, the probability of each of `rows`; `vote` (rows, HEADS) adds the neighbours' shift."""
    shift = NEIGHBOURS["weight"] * (vote - 0.5) if vote is not None else np.zeros((len(rows), len(HEADS)))
    return {name: np.array([head.probability(dense[i], readings[i].hashed, shift[j, HEADS.index(name)])
                            for j, i in enumerate(rows)]) for name, head in heads.items()}


def choose_thresholds(p: dict[str, np.ndarray], examples: list[Example], rows: np.ndarray) -> dict[str, float]:
    """Per level head, the highest threshold that keeps recall at its target (recall first), on the
    written messages: CounselChat questions are long posts about something else that mention a danger
    in passing, and letting their hardest cases set the bar would flag most ordinary worries
    (measured: crisis threshold 0.003 and 70% false alarms); they are reported apart."""
    written = np.array([examples[i].group != COUNSELCHAT for i in rows])
    p = {head: values[written] for head, values in p.items()}
    rows = rows[written]
    level = np.array([examples[i].level for i in rows])
    wanted = {"crisis": np.isin(level, [HIGH, IMMINENT]), "high": np.isin(level, [HIGH, IMMINENT]),
              "imminent": level == IMMINENT}
    chosen = {}
    for head, target in RECALL_TARGETS.items():
        scores = np.sort(p[head][wanted[head]])
        if not len(scores):
            chosen[head] = 0.5
            continue
        index = int(np.floor((1 - target) * len(scores)))
        chosen[head] = float(min(0.5, scores[index] - 1e-6)) if index < len(scores) else 0.5
    # concern messages must be flagged too: the crisis threshold also keeps their recall at 0.97
    concern = np.sort(p["crisis"][level == "concern"])
    if len(concern):
        chosen["crisis"] = float(min(chosen["crisis"], concern[int(np.floor(0.03 * len(concern)))] - 1e-6))
    return chosen


def cross_validate(examples, vectors, dense_full, dense_text, hashed, readings, say=print) -> dict:
    """Leave one writer out; thresholds by inner leave-one-writer-out on the rest. Out-of-fold decisions."""
    from retriever.safety.check import decide
    from retriever.safety.classifier import Scores

    labels = targets(examples)
    matrix = label_matrix(labels)
    groups = np.array([e.group for e in examples])
    decisions: dict[str, list] = {"full": [None] * len(examples), "text": [None] * len(examples)}
    for held in sorted(set(groups)):
        outer_train = groups != held
        for variant, dense in (("full", dense_full), ("text", dense_text)):
            started = time.perf_counter()
            inner_p = defaultdict(list)
            inner_rows = []
            for inner in sorted(set(groups[outer_train])):
                train = outer_train & (groups != inner)
                rows = np.flatnonzero(groups == inner)
                heads = fit_heads(dense, hashed, labels, train, heads=("crisis", "high", "imminent"))
                vote = votes(vectors, matrix, rows, np.flatnonzero(train)) if variant == "full" else None
                for name, values in probabilities(heads, dense, readings, rows, vote).items():
                    inner_p[name].append(values)
                inner_rows.append(rows)
            thresholds = choose_thresholds({k: np.concatenate(v) for k, v in inner_p.items()}, examples,
                                           np.concatenate(inner_rows))
            heads = fit_heads(dense, hashed, labels, outer_train)
            rows = np.flatnonzero(groups == held)
            vote = votes(vectors, matrix, rows, np.flatnonzero(outer_train)) if variant == "full" else None
            p = probabilities(heads, dense, readings, rows, vote)
            for j, i in enumerate(rows):
                scores = Scores(p["crisis"][j], p["high"][j], p["imminent"][j], p["someone_else"][j],
                                {f: p[f"family:{f}"][j] for f in FAMILIES})
                decisions[variant][i] = decide(readings[i], scores, thresholds)
            say(f"  held out {held} ({len(rows)} texts), {variant}: thresholds "
                + ", ".join(f"{k} {v:.3f}" for k, v in thresholds.items()) + f" [{time.perf_counter() - started:.0f} s]")
    return {variant: figures(examples, d) for variant, d in decisions.items()}


def figures(examples: list[Example], decisions) -> dict:
    """Recall per kind and level, false alarms per look-alike kind, language, family accuracy."""
    from retriever.safety.taxonomy import LEVEL_RANK

    per_kind, per_lookalike, per_level, per_language = defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list)
    family_right, subject_right = [], []
    for e, d in zip(examples, decisions):
        flagged = d.level != NONE
        if e.level == NONE:
            kind = "counselchat_question" if e.group == COUNSELCHAT and e.kind != ORDINARY_TITLE else e.kind
            per_lookalike[kind].append(flagged)
            per_language[f"{e.language} look-alikes flagged"].append(flagged)
            continue
        at_level = LEVEL_RANK[d.level] >= LEVEL_RANK[e.level]
        per_kind[e.kind].append((flagged, at_level))
        per_level[e.level].append((flagged, at_level))
        per_language[f"{e.language} crisis flagged"].append(flagged)
        if flagged and e.kind in KIND_BY_NAME:
            family_right.append(family_of(e.kind) in d.families)
            subject_right.append(d.someone_else == (e.subject == "other"))
    rate = lambda values: round(float(np.mean(values)), 4) if values else None
    serious = per_level[HIGH] + per_level[IMMINENT]
    lookalikes = [v for values in per_lookalike.values() for v in values]
    added = {"counselchat_question", ORDINARY_TITLE, ORDINARY_WORRY}
    written_lookalikes = [v for k, values in per_lookalike.items() if k not in added for v in values]
    ordinary = per_lookalike.get(ORDINARY_TITLE, []) + per_lookalike.get(ORDINARY_WORRY, [])
    return {
        "recall_imminent_and_high": rate([f for f, _ in serious]),
        "recall_at_level_imminent_and_high": rate([a for _, a in serious]),
        "false_alarms_lookalikes": rate(written_lookalikes),
        "false_alarms_all_none": rate(lookalikes),
        "false_alarms_ordinary_worries": rate(ordinary),
        "levels": {lv: {"n": len(v), "flagged": rate([f for f, _ in v]), "at_level": rate([a for _, a in v])}
                   for lv, v in sorted(per_level.items())},
        "kinds": {k: {"n": len(v), "flagged": rate([f for f, _ in v]), "at_level": rate([a for _, a in v])}
                  for k, v in sorted(per_kind.items())},
        "lookalikes": {k: {"n": len(v), "flagged": rate(v)} for k, v in sorted(per_lookalike.items())},
        "languages": {k: {"n": len(v), "rate": rate(v)} for k, v in sorted(per_language.items())},
        "family_right": rate(family_right), "subject_right": rate(subject_right),
    }


def train_final(examples, vectors, dense_full, dense_text, hashed, readings
                ) -> tuple[dict, dict[str, float], Neighbours]:
    labels = targets(examples)
    matrix = label_matrix(labels)
    groups = np.array([e.group for e in examples])
    everything = np.ones(len(examples), bool)
    inner_p, inner_rows = defaultdict(list), []
    for held in sorted(set(groups)):  # thresholds from leave-one-writer-out predictions of the full variant
        heads = fit_heads(dense_full, hashed, labels, groups != held, heads=("crisis", "high", "imminent"))
        rows = np.flatnonzero(groups == held)
        vote = votes(vectors, matrix, rows, np.flatnonzero(groups != held))
        for name, values in probabilities(heads, dense_full, readings, rows, vote).items():
            inner_p[name].append(values)
        inner_rows.append(rows)
    thresholds = choose_thresholds({k: np.concatenate(v) for k, v in inner_p.items()}, examples, np.concatenate(inner_rows))
    dimension = vectors.shape[1]
    full = {name: Head(np.concatenate([h.dense[:dimension] * VECTOR_SCALE, h.dense[dimension:]]), h.hashed, h.bias)
            for name, h in fit_heads(dense_full, hashed, labels, everything).items()}  # the scale folded in: raw vectors
    heads = {"full": full, "text": fit_heads(dense_text, hashed, labels, everything)}
    neighbours = Neighbours(vectors, matrix, NEIGHBOURS["k"], NEIGHBOURS["temperature"], NEIGHBOURS["weight"])
    return heads, thresholds, neighbours


def prepared_data(settings, csvs: list[Path] | None = None, writers: list[str] | None = None):
    """(examples, vectors, dense full, dense text-only, hashed, readings) of every training text."""
    csvs = csvs or ([settings.counselchat_csv] if settings.counselchat_csv else [])
    csvs = csvs + [p for p in SHARED_CSVS if p.exists() and p not in csvs]
    examples = load_examples(csvs, writers)
    vectors = encode_all([e.text for e in examples], settings.model_cache_dir / "safety-training-vectors.npz")
    return (examples, vectors, *design(examples, vectors))


def cross_validation_figures(settings, say=lambda line: None) -> dict:
    """The leave-one-writer-out figures (scripts/safety_eval.py --cross-validate)."""
    examples, vectors, dense_full, dense_text, hashed, readings = prepared_data(settings)
    return cross_validate(examples, vectors, dense_full, dense_text, hashed, readings, say)


def format_figures(name: str, f: dict) -> str:
    lines = [f"{name}: recall (imminent + high) {f['recall_imminent_and_high']}, at their level "
             f"{f['recall_at_level_imminent_and_high']}; false alarms on written look-alikes {f['false_alarms_lookalikes']}"
             f" (on ordinary worries and CounselChat titles: {f.get('false_alarms_ordinary_worries')}; on every non-crisis "
             f"text, CounselChat questions included: {f['false_alarms_all_none']}); family right "
             f"{f['family_right']}, someone-else right {f['subject_right']}", "",
             "| level or kind | n | flagged (crisis) | at its level or above |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| level {k} | {v['n']} | {v['flagged']} | {v['at_level']} |" for k, v in f["levels"].items()]
    lines += [f"| {k} | {v['n']} | {v['flagged']} | {v['at_level']} |" for k, v in f["kinds"].items()]
    lines += ["", "| look-alike kind | n | flagged (false alarm) |", "| --- | ---: | ---: |"]
    lines += [f"| {k} | {v['n']} | {v['flagged']} |" for k, v in f["lookalikes"].items()]
    lines += ["", "| language | n | rate |", "| --- | ---: | ---: |"]
    lines += [f"| {k} | {v['n']} | {v['rate']} |" for k, v in f["languages"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from settings import Settings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counselchat", nargs="+", type=Path, help="CounselChat CSVs holding the labelled questions")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_FILE, help="where the model goes")
    parser.add_argument("--report-only", action="store_true", help="cross-validate, write nothing")
    parser.add_argument("--no-cv", action="store_true", help="train the final model only")
    parser.add_argument("--writers", nargs="+", help="only these writers' files (default: every messages-*.tsv)")
    args = parser.parse_args(argv)
    settings = Settings()
    examples, vectors, dense_full, dense_text, hashed, readings = prepared_data(settings, args.counselchat, args.writers)
    counts = Counter(e.group for e in examples)
    print(f"{len(examples)} texts: " + ", ".join(f"{g} {n}" for g, n in sorted(counts.items())), file=sys.stderr)
    report = {"texts": len(examples), "writers": dict(counts), "c": C, "vector_scale": VECTOR_SCALE,
              "neighbours": NEIGHBOURS, "recall_targets": RECALL_TARGETS}
    if not args.no_cv:
        say = lambda line: print(line, file=sys.stderr)
        report["cross_validation"] = cross_validate(examples, vectors, dense_full, dense_text, hashed, readings, say)
        for variant, f in report["cross_validation"].items():
            print(format_figures(f"leave-one-writer-out, {variant}", f) + "\n")
    if args.report_only:
        return 0
    heads, thresholds, neighbours = train_final(examples, vectors, dense_full, dense_text, hashed, readings)
    from settings import DEFAULT_MODEL

    meta = {"model": DEFAULT_MODEL, "dimension": int(vectors.shape[1]), "thresholds": thresholds,
            "trained_on": report["writers"],
            "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    save(args.out, heads, meta, neighbours)
    SafetyClassifier.load(args.out)  # it reads back
    report["thresholds"] = thresholds
    REPORT_FILE.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} (thresholds {thresholds}) and {REPORT_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
