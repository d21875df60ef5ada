"""The learned part of the crisis check: logistic heads over a message's features, in numpy (the
neighbour vote by FAISS's exact scan).

Trained by `scripts/train_safety.py` on data the project ships (data/safety/: the labelled CounselChat
questions and thousands of written crisis messages and look-alikes) and stored as one .npz file
(`data/classifier.npz`, package data): per head a weight vector over the dense features (the query
vector, then features.NAMED), one weight per hashed n-gram bucket, and a bias. Scoring a message is
a dot product and a sum over its buckets: microseconds, no second encoding.

Heads: `crisis` (any level but none), `high` (high or imminent), `imminent`, `someone_else` (the
person at risk is not the writer), and one per family (`family:<name>`). Two variants are stored:
`full` (with the query vector) and `text` (hashed n-grams, cues and lexicon only), used when the
service runs another embedding model than the one the classifier was trained with.

The `full` variant adds a vote of the message's nearest training texts (`Neighbours`): the
similarity-weighted share of the K closest training vectors that carry each head's label, added to
the logistic logit as `weight x (vote - 0.5)`. Linear heads miss interactions ("kms" is a crisis
word, "kms lmao this wifi" is not); neighbours in the embedding space catch many of them. Measured
leave-one-writer-out (scripts/train_safety.py): false alarms at 95% recall 10% -> 4%.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from index.store import single_threaded
from retriever.safety.features import BUCKETS, NAMED, Reading
from retriever.safety.taxonomy import FAMILIES

DEFAULT_MODEL_FILE = Path(__file__).parent / "data" / "classifier.npz"
LEVEL_HEADS = ("crisis", "high", "imminent")
HEADS = (*LEVEL_HEADS, "someone_else", *(f"family:{f}" for f in FAMILIES))
FORMAT = 1


class ClassifierError(ValueError):
    """The classifier file is missing, damaged, or was made for other features."""


@dataclass(frozen=True)
class Scores:
    """Probabilities of one message, head by head."""

    crisis: float
    high: float
    imminent: float
    someone_else: float
    families: dict[str, float]


@dataclass(frozen=True)
class Head:
    dense: np.ndarray  # (dimension + len(NAMED),) or (len(NAMED),) for the text variant
    hashed: np.ndarray  # (BUCKETS,)
    bias: float

    def logit(self, dense: np.ndarray, buckets: np.ndarray) -> float:
        return float(dense @ self.dense) + float(self.hashed[buckets].sum()) + self.bias

    def probability(self, dense: np.ndarray, buckets: np.ndarray, shift: float = 0.0) -> float:
        logit = self.logit(dense, buckets) + shift
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -40.0, 40.0)))


@dataclass(frozen=True)
class Neighbours:
    """The training texts' vectors and labels, for a nearest-neighbour vote per head."""

    vectors: np.ndarray  # (texts, dimension) float32, unit length
    labels: np.ndarray  # (texts, len(HEADS)) float32: 1 where the text carries the head's label, NaN where unlabelled
    k: int
    temperature: float
    weight: float

    def votes(self, vector: np.ndarray) -> np.ndarray:
        """Per head, the similarity-weighted share of the K nearest labelled texts that carry its label."""
        k = min(self.k, len(self.vectors))
        query = np.ascontiguousarray(vector, dtype=np.float32)[None, :]
        with single_threaded():  # FAISS's exact scan: the same products, half numpy's time (measured 0.8 -> 0.4 ms)
            similarity, found = faiss.knn(query, self.vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
        similarity, nearest = similarity[0], found[0]
        weights = np.exp(self.temperature * (similarity - similarity.max()))[:, None]
        labels = self.labels[nearest]
        known = ~np.isnan(labels)
        totals = (weights * known).sum(axis=0)
        shares = (weights * np.nan_to_num(labels)).sum(axis=0) / np.maximum(totals, 1e-12)
        return np.where(totals > 0, shares, 0.5)


class SafetyClassifier:
    def __init__(self, heads: dict[str, dict[str, Head]], meta: dict, neighbours: Neighbours | None = None):
        self.heads = heads  # variant ("full" / "text") -> head name -> Head
        self.neighbours = neighbours  # used with the full variant
        self.meta = meta
        self.thresholds: dict[str, float] = dict(meta["thresholds"])
        self.model: str = meta["model"]
        self.dimension: int = int(meta["dimension"])

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MODEL_FILE) -> "SafetyClassifier":
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as stored:
                meta = json.loads(str(stored["meta"]))
                arrays = {name: stored[name] for name in stored.files if name != "meta"}
        except (OSError, ValueError, KeyError) as error:
            raise ClassifierError(f"cannot read the safety classifier {path}: {error}") from error
        if meta.get("format") != FORMAT or meta.get("named") != list(NAMED) or meta.get("buckets") != BUCKETS:
            raise ClassifierError(f"{path} was trained for other features; retrain it (scripts/train_safety.py)")
        heads: dict[str, dict[str, Head]] = {}
        try:
            for variant in ("full", "text"):
                heads[variant] = {h: Head(arrays[f"{variant}/{h}/dense"], arrays[f"{variant}/{h}/hashed"],
                                          float(arrays[f"{variant}/{h}/bias"])) for h in HEADS}
            knn = meta["neighbours"]
            neighbours = Neighbours(np.ascontiguousarray(arrays["neighbours/vectors"], dtype=np.float32),
                                    arrays["neighbours/labels"].astype(np.float32), int(knn["k"]),
                                    float(knn["temperature"]), float(knn["weight"]))
        except KeyError as error:
            raise ClassifierError(f"{path} lacks {error}; retrain it (scripts/train_safety.py)") from error
        return cls(heads, meta, neighbours)

    def scores(self, reading: Reading, vector: np.ndarray | None) -> Scores:
        """Probabilities for a message; `vector` None (or of another model) uses the text variant."""
        full = vector is not None and len(vector) == self.dimension
        if full:
            variant, dense = "full", np.concatenate([np.asarray(vector, dtype=np.float32), reading.named])
        else:
            variant, dense = "text", reading.named
        heads = self.heads[variant]
        shift = (self.neighbours.weight * (self.neighbours.votes(vector) - 0.5)
                 if full and self.neighbours is not None else np.zeros(len(HEADS)))
        p = {name: heads[name].probability(dense, reading.hashed, shift[i]) for i, name in enumerate(HEADS)}
        return Scores(p["crisis"], p["high"], p["imminent"], p["someone_else"],
                      {f: p[f"family:{f}"] for f in FAMILIES})

    def fits(self, model_name: str) -> bool:
        """Whether the `full` variant was trained on vectors of `model_name`."""
        return model_name.lower() == self.model.lower()


def save(path: str | Path, heads: dict[str, dict[str, Head]], meta: dict, neighbours: Neighbours) -> None:
    """Write heads, neighbours and metadata (format, model, dimension, features, thresholds)."""
    meta = {**meta, "format": FORMAT, "named": list(NAMED), "buckets": BUCKETS,
            "neighbours": {"k": neighbours.k, "temperature": neighbours.temperature, "weight": neighbours.weight}}
    arrays = {"meta": np.array(json.dumps(meta)), "neighbours/vectors": neighbours.vectors.astype(np.float16),
              "neighbours/labels": neighbours.labels.astype(np.float16)}
    for variant, named_heads in heads.items():
        for name, head in named_heads.items():
            arrays[f"{variant}/{name}/dense"] = head.dense.astype(np.float32)
            arrays[f"{variant}/{name}/hashed"] = head.hashed.astype(np.float32)
            arrays[f"{variant}/{name}/bias"] = np.array(head.bias, dtype=np.float32)
    path = Path(path)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)
