"""Embedding engines: the one step of a build that can run elsewhere (embedding the missing texts).

- `base.py`: the `EmbeddingEngine` protocol the builder calls, its input and output, the errors;
- `local.py`: in this process (the default; nothing changes without `--engine`);
- `ray_engine.py`: a Ray Data actor pool, locally or on a cluster (the `[ray]` extra);
- `shards.py`: the Parquet shards that let a killed distributed build resume.

`open_engine(name, ...)` is the one way in; Ray is imported only when the Ray engine runs.
"""
from __future__ import annotations

from index.engines.base import Embedded, EmbeddingEngine, EngineError, EngineSetupError, MissingTexts
from index.engines.local import InProcessEngine
from index.engines.ray_engine import ModelOpener, RayOptions

ENGINES = ("local", "ray")

__all__ = ["ENGINES", "Embedded", "EmbeddingEngine", "EngineError", "EngineSetupError", "InProcessEngine",
           "MissingTexts", "RayOptions", "open_engine"]


def open_engine(name: str, *, open_model: ModelOpener, ray: RayOptions | None = None) -> EmbeddingEngine:
    """The engine `name`; `open_model` is how a remote worker opens the build's model (picklable)."""
    if name == "local":
        return InProcessEngine()
    if name == "ray":
        from index.engines.ray_engine import RayEngine

        return RayEngine(open_model, ray)
    raise EngineSetupError(f"unknown embedding engine {name!r}; choose one of {', '.join(ENGINES)}")
