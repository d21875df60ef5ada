"""The ONNX Runtime backend gives the same vectors as sentence-transformers (torch), and indexes
record which backend made their vectors."""
import json
import subprocess
import sys

import numpy as np
import pytest

from index.builder import build_index
from index.corpus import load_corpus
from index.embedder import Embedder, ModelError, open_embedder
from index.layout import current_version_dir
from index.onnx_embedder import OnnxEmbedder

SENTENCES = [
    "i always cry in my counselor's office, is that weird?",
    "How can I stop worrying about things I cannot control?",
    "My partner and I keep fighting about money.",
    "sleep",
    "I have felt empty for months. " * 40,  # longer than the model's 256 tokens: truncated alike
]


@pytest.fixture(scope="module")
def onnx():
    return OnnxEmbedder("all-MiniLM-L6-v2", threads=1)


@pytest.fixture(scope="module")
def torch_model():
    return Embedder("all-MiniLM-L6-v2")


def test_onnx_vectors_agree_with_torch_above_099_cosine(onnx, torch_model):
    fast, reference = onnx.encode(SENTENCES), torch_model.encode(SENTENCES)
    assert fast.dtype == np.float32 and fast.shape == reference.shape == (len(SENTENCES), 384)
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cosines = (fast * reference).sum(axis=1)
    assert cosines.min() > 0.99


def test_batching_and_length_sorting_do_not_change_vectors(onnx):
    one_by_one = np.vstack([onnx.encode_query(s) for s in SENTENCES])
    batched = onnx.encode(SENTENCES * 3, batch_size=4)  # several batches, reordered by length inside
    np.testing.assert_allclose(batched[: len(SENTENCES)], one_by_one, atol=1e-4)
    np.testing.assert_allclose(batched[len(SENTENCES):2 * len(SENTENCES)], one_by_one, atol=1e-4)


def test_token_counts_match_the_torch_tokenizer(onnx, torch_model):
    assert onnx.token_counts(SENTENCES) == torch_model.token_counts(SENTENCES)
    assert onnx.token_counts([]) == [] and onnx.encode([]).shape == (0, 384)


def test_the_onnx_path_does_not_import_torch():
    code = ("import sys; from index.embedder import open_embedder; e = open_embedder('all-MiniLM-L6-v2', 'onnx'); "
            "e.encode(['hello']); import api.main; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split()[-2:] == ["False", "False"]


def test_an_unknown_backend_or_missing_onnx_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="unknown embedding backend 'tensorflow'"):
        open_embedder("all-MiniLM-L6-v2", "tensorflow")
    with pytest.raises(ModelError, match="does not exist"):
        open_embedder("all-MiniLM-L6-v2", "onnx", onnx_file=tmp_path / "missing.onnx")


def test_the_manifest_records_the_backend_and_a_backend_change_rebuilds_everything(tmp_path, small_csv, onnx,
                                                                                 torch_model):
    corpus = load_corpus(small_csv)
    first = build_index(corpus, torch_model, tmp_path, model_name="all-MiniLM-L6-v2", passage_tokens=32)
    assert json.loads((current_version_dir(tmp_path) / "manifest.json").read_text())["embedding_backend"] == "torch"
    report = build_index(corpus, onnx, tmp_path, model_name="all-MiniLM-L6-v2", passage_tokens=32, incremental=True)
    manifest = json.loads((current_version_dir(tmp_path) / "manifest.json").read_text())
    assert manifest["embedding_backend"].startswith("onnx:model.onnx:")
    assert report.embedded == first.embedded and "embedding backend changed" in report.full_rebuild_reason
    again = build_index(corpus, onnx, tmp_path, model_name="all-MiniLM-L6-v2", passage_tokens=32, incremental=True)
    assert again.embedded == 0 and again.full_rebuild_reason is None
