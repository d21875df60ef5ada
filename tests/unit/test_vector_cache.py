"""Vectors of fixed texts (the crisis prototypes) are embedded once per model and read back after."""
import numpy as np
import pytest

from index.vector_cache import cached_encoder

TEXTS = ["I want to end my life", "I feel hopeless", "I had a good day"]


def counting_encoder(calls: list, offset: float = 0.0):
    def encode(texts):
        calls.append(list(texts))
        return np.arange(len(texts) * 4, dtype=np.float32).reshape(len(texts), 4) + offset
    return encode


def test_the_second_start_reads_the_vectors_instead_of_embedding(tmp_path):
    calls = []
    first = cached_encoder(counting_encoder(calls), "onnx:model.onnx:abc", tmp_path)(TEXTS)
    again = cached_encoder(lambda texts: pytest.fail("embedded again"), "onnx:model.onnx:abc", tmp_path)(TEXTS)
    np.testing.assert_array_equal(first, again)
    assert calls == [TEXTS] and again.dtype == np.float32
    assert not list(tmp_path.glob(".vectors-*"))  # written atomically: no temporary file left


def test_another_model_or_other_texts_are_embedded_anew(tmp_path):
    calls = []
    cached_encoder(counting_encoder(calls), "onnx:model.onnx:abc", tmp_path)(TEXTS)
    other_model = cached_encoder(counting_encoder(calls, offset=1), "torch", tmp_path)(TEXTS)
    cached_encoder(counting_encoder(calls), "onnx:model.onnx:abc", tmp_path)(TEXTS[:2])
    assert len(calls) == 3 and other_model[0, 0] == 1.0


def test_an_unreadable_cache_file_is_replaced(tmp_path):
    encode = cached_encoder(counting_encoder([]), "torch", tmp_path)
    expected = encode(TEXTS)
    [path] = tmp_path.glob("vectors-*.npy")
    path.write_bytes(b"not a numpy file")
    np.testing.assert_array_equal(encode(TEXTS), expected)
    np.testing.assert_array_equal(np.load(path), expected)


def test_a_read_only_cache_still_gives_vectors(tmp_path, caplog):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    vectors = cached_encoder(counting_encoder([]), "torch", blocked / "models")(TEXTS)
    assert vectors.shape == (3, 4) and "cannot keep vectors" in caplog.text
