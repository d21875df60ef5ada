"""The FAISS index type is chosen by size: exact flat up to a threshold, IVF-SQ8 above, same interface."""
import numpy as np
import pytest

from index.store import FLAT_MAX_VECTORS, FaissStore, choose_index_kind


def clustered_unit_vectors(count: int, dimension: int = 384, seed: int = 1) -> np.ndarray:
    """Synthetic embeddings: points around 200 topics (real sentence embeddings cluster too)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(200, dimension)).astype(np.float32)
    vectors = centres[rng.integers(0, 200, count)] + rng.normal(scale=0.8, size=(count, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_small_collections_are_searched_exactly_and_large_ones_approximately():
    assert choose_index_kind(10) == "flat"
    assert choose_index_kind(FLAT_MAX_VECTORS) == "flat"
    assert choose_index_kind(FLAT_MAX_VECTORS + 1) == "ivf-sq8"
    assert choose_index_kind(500, flat_max=100) == "ivf-sq8"


@pytest.fixture(scope="module")
def stores():
    vectors = clustered_unit_vectors(20_000)
    ids = np.arange(len(vectors), dtype=np.int64) * 7 + 3
    topics = [["even"] if i % 2 == 0 else ["odd"] for i in range(len(vectors))]
    approximate = FaissStore(384, flat_max=1_000)  # a low threshold, so 20k vectors go to IVF
    approximate.add(ids, vectors, topics)
    exact = FaissStore(384)
    exact.add(ids, vectors, topics)
    return approximate, exact, vectors, ids


def test_twenty_thousand_vectors_over_the_threshold_get_an_ivf_index_with_recall_of_at_least_095(stores):
    approximate, exact, vectors, _ = stores
    assert approximate.kind == "ivf-sq8" and exact.kind == "flat"
    rng = np.random.default_rng(2)
    queries = vectors[:200] + rng.normal(scale=0.02, size=(200, 384)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    _, found = approximate.search(queries, 10)
    _, truth = exact.search(queries, 10)
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)])
    assert recall >= 0.95


def test_the_ivf_store_keeps_the_vector_store_behaviour(stores):
    approximate, _, vectors, ids = stores
    np.testing.assert_allclose(approximate.get_vectors([int(ids[5])])[0], vectors[5], atol=0.02)  # 8-bit codes
    _, found = approximate.search(vectors[:3], 5, topics=["odd"])
    assert all((i - 3) // 7 % 2 == 1 for i in found.ravel() if i >= 0)
    assert approximate.remove([int(ids[0])]) == 1
    _, found = approximate.search(vectors[:1], 10)
    assert int(ids[0]) not in found[0]
