"""The embedding model run by sentence-transformers on torch (fp32): the reference runtime.

Installed with the `[torch]` extra (torch is large: the default ONNX runtime never imports it). It
is the baseline the benchmarks compare with and what fine-tuning (scripts/finetune.py) trains.
"""
from __future__ import annotations

import os
from functools import cached_property

import numpy as np

from index.embedding.base import ModelError, resolve_model


class TorchEmbedder:
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
        except ImportError as error:
            raise ModelError("EMBEDDING_BACKEND=torch needs torch and sentence-transformers: "
                             "pip install -e '.[torch]'") from error
        try:
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
