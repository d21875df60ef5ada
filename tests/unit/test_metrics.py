"""Metric code on small hand-made rankings."""
import math

import pytest

from retriever.relevance import hit_at_k, mrr_at_k, ndcg_at_k


def test_hit_at_k():
    assert hit_at_k(["a", "b"], {"b"}, 1) == 0.0
    assert hit_at_k(["a", "b"], {"b"}, 2) == 1.0


def test_mrr_is_reciprocal_rank_of_first_relevant_within_k():
    assert mrr_at_k(["x", "y", "r"], {"r"}, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["x", "y", "r"], {"r"}, 2) == 0.0


def test_ndcg_perfect_partial_and_repeats():
    assert ndcg_at_k(["a", "b"], {"a", "b"}, 10) == pytest.approx(1.0)
    expected = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["x", "a"], {"a", "b"}, 10) == pytest.approx(expected)
    # a repeated relevant label earns nothing the second time
    assert ndcg_at_k(["a", "a"], {"a", "b"}, 10) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(["x"], set(), 10) == 0.0


def test_hit_at_k_counts_only_the_first_k():
    assert hit_at_k(["x", "y", "z", "w", "r"], {"r"}, 5) == 1.0
    assert hit_at_k(["x", "y", "z", "w", "v", "r"], {"r"}, 5) == 0.0


def test_mrr_is_zero_without_a_relevant_label():
    assert mrr_at_k(["x", "y"], {"r"}, 10) == 0.0
    assert mrr_at_k(["r", "x"], {"r"}, 10) == 1.0


def test_ndcg_ideal_counts_every_relevant_label_up_to_k():
    # three relevant answers exist but only one is found, at rank 1: the ideal has all three on top
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(["a", "x", "y"], {"a", "b", "c"}, 10) == pytest.approx(1 / ideal)
    # with more relevant labels than k, the ideal is k relevant labels in a row
    many = {f"r{i}" for i in range(20)}
    assert ndcg_at_k([f"r{i}" for i in range(10)], many, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x"] + [f"r{i}" for i in range(9)], many, 10) < 1.0
