"""Milvus writes go in requests sized by bytes, well under the engine's 64 MB limit (no Milvus needed)."""
import numpy as np

from index.milvus_store import WRITE_BATCH_BYTES, StoreRows, byte_batches


def test_batches_are_consecutive_cover_everything_and_stay_within_the_limit():
    sizes = [5, 5, 5, 9, 1, 1, 30, 2]
    spans = byte_batches(sizes, 10)
    assert spans == [(0, 2), (2, 3), (3, 5), (5, 6), (6, 7), (7, 8)]
    assert [i for start, end in spans for i in range(start, end)] == list(range(len(sizes)))
    assert all(sum(sizes[s:e]) <= 10 for s, e in spans if e - s > 1), "only a lone oversized row may exceed it"
    assert byte_batches([], 10) == []
    assert byte_batches([3, 3, 3], 100) == [(0, 3)]


def rows(count: int, dimension: int = 384) -> StoreRows:
    return StoreRows(np.arange(count, dtype=np.int64), np.zeros((count, dimension), np.float32),
                     [["anxiety", "depression"]] * count, ["4b1c0f0e2a51"] * count,
                     ["is-it-normal-to-cry-during-therapy"] * count, [3] * count)


def test_a_row_costs_its_vector_and_strings_and_a_batch_is_tens_of_thousands_of_passages():
    small, wide = rows(1, 8), rows(1, 384)
    assert wide.row_bytes(0) - small.row_bytes(0) == 4 * (384 - 8)
    longer = rows(1)
    longer.topics[0] = ["anxiety", "depression", "relationships"]
    assert longer.row_bytes(0) > rows(1).row_bytes(0)
    many = rows(60_000)
    spans = byte_batches([many.row_bytes(i) for i in range(60_000)], WRITE_BATCH_BYTES)
    assert 2 <= len(spans) <= 4  # ~1.7 KB a row: ~20,000 rows per 32 MiB request
    assert 20 * 2**20 <= sum(many.row_bytes(i) for i in range(*spans[0])) <= WRITE_BATCH_BYTES < 64 * 10**6
