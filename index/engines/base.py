"""What the builder asks of an embedding engine: vectors for the texts the current version lacks.

Why a seam here: everything else a build does (split, hash, reuse, stores, manifest, atomic switch,
pruning, lock) is the same whether the missing texts are embedded in this process or by a cluster,
so the builder is written once and only this step is swapped (local.py, ray_engine.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from index.embedding import Embedder


class EngineError(RuntimeError):
    """The engine failed while embedding (a worker died, the cluster went away): the build stops,
    `current` is untouched, and whatever the engine kept (shards) is reused by the next run."""


class EngineSetupError(EngineError):
    """The engine cannot run as asked (unknown name, Ray not installed, bad options): fix and rerun."""


@dataclass(frozen=True)
class MissingTexts:
    """Texts to embed, each with the key its vector is kept under (the hash of the text), sorted by key."""

    keys: list[str]
    texts: list[str]
    work_dir: Path  # where an engine may keep work that outlives a crash (<index-dir>/.shards)
    progress: bool = False


@dataclass
class Embedded:
    """The vectors, in the order of `MissingTexts.keys`, and what the engine reports about its run."""

    vectors: np.ndarray
    summary: dict = field(default_factory=dict)


class EmbeddingEngine(Protocol):
    """How the texts a build lacks get embedded; `embedder` is the build's model (in this process)."""

    name: str

    def embed_missing(self, embedder: Embedder, missing: MissingTexts) -> Embedded: ...
