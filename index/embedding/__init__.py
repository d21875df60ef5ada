"""The embedding model behind one small interface, one module per runtime.

- `base.py`: the `Embedder` protocol, `ModelError`, where packaged models live;
- `onnx_backend.py`: ONNX Runtime on the int8 export (the default: no torch import);
- `torch_backend.py`: sentence-transformers on torch (the `[torch]` extra);
- `fusion.py`: the fused int8 graph builds embed documents with.

`open_embedder(name, backend)` is the one way in; callers type against `Embedder`.
"""
from __future__ import annotations

from pathlib import Path

from index.embedding.base import Embedder, ModelError, resolve_model

BACKENDS = ("onnx", "torch")

__all__ = ["BACKENDS", "Embedder", "ModelError", "open_embedder", "resolve_model"]


def open_embedder(name: str, backend: str = "onnx", *, onnx_file: str | Path | None = None, threads: int = 0,
                  cache_dir: str | Path | None = None) -> Embedder:
    """The model `name` run by `backend` (the module of that runtime is imported only then).

    Both runtimes give vectors of cosine > 0.99 to each other (docs/performance.md); an index
    records which one embedded its texts (`embedder.document_backend`). `cache_dir` keeps the ONNX
    backend's derived build graph between runs (fusion.py); None derives it afresh when needed.
    """
    if backend == "torch":
        from index.embedding.torch_backend import TorchEmbedder

        return TorchEmbedder(name)
    if backend == "onnx":
        from index.embedding.onnx_backend import OnnxEmbedder

        return OnnxEmbedder(name, onnx_file, threads=threads, cache_dir=cache_dir)
    raise ModelError(f"unknown embedding backend {backend!r}; choose one of {', '.join(BACKENDS)}")
