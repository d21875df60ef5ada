"""The query-vector LRU cache: bounded, least recently used out first, no query text kept."""
import threading

import numpy as np

from retriever.query_cache import QueryVectorCache


def vector(value: float) -> np.ndarray:
    return np.full(4, value, dtype=np.float32)


def test_a_cached_query_returns_its_vector_and_counts_a_hit():
    cache = QueryVectorCache(2)
    assert cache.get("i feel alone") is None
    cache.put("i feel alone", vector(1))
    np.testing.assert_array_equal(cache.get("i feel alone"), vector(1))
    assert (cache.hits, cache.misses) == (1, 1)


def test_the_least_recently_used_query_leaves_first_when_full():
    cache = QueryVectorCache(2)
    cache.put("a", vector(1))
    cache.put("b", vector(2))
    cache.get("a")  # a is now more recent than b
    cache.put("c", vector(3))
    assert len(cache) == 2
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None


def test_size_zero_turns_the_cache_off():
    cache = QueryVectorCache(0)
    cache.put("a", vector(1))
    assert cache.get("a") is None and len(cache) == 0


def test_stored_vectors_cannot_be_changed_by_the_caller():
    cache = QueryVectorCache(1)
    original = vector(1)
    cache.put("a", original)
    original[:] = 5  # the caller reuses its buffer
    stored = cache.get("a")
    np.testing.assert_array_equal(stored, vector(1))
    assert not stored.flags.writeable


def test_the_query_text_itself_is_not_kept():
    cache = QueryVectorCache(4)
    cache.put("my secret worry", vector(1))
    assert all(isinstance(key, bytes) and b"secret" not in key for key in cache._entries)


def test_concurrent_use_stays_within_the_bound():
    cache = QueryVectorCache(50)

    def work(offset: int) -> None:
        for i in range(500):
            cache.put(f"q{(i + offset) % 120}", vector(i))
            cache.get(f"q{i % 120}")

    threads = [threading.Thread(target=work, args=(n * 7,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 50
