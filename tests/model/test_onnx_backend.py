"""The ONNX Runtime backend gives the same vectors as sentence-transformers (torch), and indexes
record which backend made their vectors."""
import json
import subprocess
import sys

import numpy as np
import pytest

from index.builder import build_index
from index.corpus import load_corpus
from index.embedding import ModelError, open_embedder
from index.embedding.torch_backend import TorchEmbedder
from index.layout import current_version_dir
from index.embedding.onnx_backend import OnnxEmbedder

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
    return TorchEmbedder("all-MiniLM-L6-v2")


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
    code = ("import sys; from index.embedding import open_embedder; e = open_embedder('all-MiniLM-L6-v2', 'onnx'); "
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


# --- the build graph: fused operators, int8 arithmetic (index/embedding/fusion.py) ---

@pytest.fixture(scope="module")
def model_cache(tmp_path_factory):
    """One derivation for this module (~10 s): the tests below share the cached graph."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="module")
def builder_model(model_cache):
    return OnnxEmbedder("all-MiniLM-L6-v2", threads=1, cache_dir=model_cache)


def test_the_fused_graph_computes_what_the_export_computes(tmp_path, onnx):
    from index.embedding.fusion import _constant_folded, _save, fused_encoder, pooled_cosines

    fused = tmp_path / "fused.onnx"
    _save(fused_encoder(_constant_folded(onnx.onnx_path, tmp_path / "folded.onnx"), num_heads=12), fused)
    assert pooled_cosines(onnx.onnx_path, fused, texts=16, seed=3).min() > 0.9999


def test_documents_are_embedded_by_the_int8_graph_close_to_the_query_vectors(builder_model):
    documents, queries = builder_model.encode_documents(SENTENCES), builder_model.encode(SENTENCES)
    np.testing.assert_allclose(np.linalg.norm(documents, axis=1), 1.0, atol=1e-5)
    cosines = (documents * queries).sum(axis=1)
    assert cosines.min() > 0.97 and cosines.mean() > 0.985
    assert not np.allclose(documents, queries, atol=1e-4)  # really another graph
    assert builder_model.document_backend == builder_model.backend + ":docs-int8-v1"
    assert builder_model.document_backend in builder_model.own_backends


def test_the_build_graph_is_derived_once_and_then_read_from_the_cache(model_cache, builder_model, monkeypatch):
    builder_model.document_backend  # derived (or already there)
    import index.embedding.fusion as fusion

    monkeypatch.setattr(fusion, "fused_encoder", lambda *a, **k: pytest.fail("derived a second time"))
    again = OnnxEmbedder("all-MiniLM-L6-v2", threads=1, cache_dir=model_cache)
    np.testing.assert_allclose(again.encode_documents(SENTENCES), builder_model.encode_documents(SENTENCES), atol=1e-6)
    assert len(list(model_cache.glob("*.onnx"))) == 1 and not list(model_cache.glob(".derive-*"))


def test_one_session_per_core_gives_the_vectors_of_one_session(model_cache, builder_model):
    texts = [f"{s} ({n})" for n in range(6) for s in SENTENCES]
    parallel = OnnxEmbedder("all-MiniLM-L6-v2", threads=2, cache_dir=model_cache)
    assert len(parallel._documents[0]) == 2
    np.testing.assert_allclose(parallel.encode_documents(texts), builder_model.encode_documents(texts), atol=1e-6)


def test_a_document_vector_does_not_depend_on_the_texts_embedded_with_it(builder_model):
    """int8 activations are quantised per run: each text runs alone, so incremental = full build."""
    together = builder_model.encode_documents(SENTENCES)
    alone = np.vstack([builder_model.encode_documents([s]) for s in SENTENCES])
    np.testing.assert_allclose(together, alone, atol=1e-6)


def test_without_a_build_graph_documents_are_embedded_by_the_query_graph(tmp_path, monkeypatch, caplog):
    import index.embedding.onnx_backend as module
    from index.embedding.fusion import FusionError

    def not_bert(*args):
        raise FusionError("no encoder.layer.<n>.attention.self.query.bias: not a BERT-style encoder")

    monkeypatch.setattr(module, "document_model", not_bert)
    plain = OnnxEmbedder("all-MiniLM-L6-v2", threads=2, cache_dir=tmp_path)
    np.testing.assert_allclose(plain.encode_documents(SENTENCES), plain.encode(SENTENCES), atol=1e-6)
    assert plain.document_backend == plain.backend
    assert "not a BERT-style encoder" in caplog.text


def test_an_index_built_with_the_int8_graph_is_served_without_a_backend_warning(tmp_path, small_csv, builder_model,
                                                                                caplog):
    from index.loader import load_index
    from retriever.service import check_vectors_compatible

    build_index(load_corpus(small_csv), builder_model, tmp_path, model_name="all-MiniLM-L6-v2", passage_tokens=32)
    index = load_index(tmp_path)
    assert index.manifest.embedding_backend == builder_model.document_backend
    check_vectors_compatible(index, OnnxEmbedder("all-MiniLM-L6-v2", threads=1))
    assert "was embedded by backend" not in caplog.text
    check_vectors_compatible(index, TorchEmbedder("all-MiniLM-L6-v2"))  # another backend: served, with a warning
    assert "was embedded by backend" in caplog.text
