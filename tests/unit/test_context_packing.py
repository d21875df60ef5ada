"""Packing passages into a token budget, with a stand-in tokenizer (one token per word)."""
import re

import numpy as np
import pytest

from index.corpus import Answer
from index.passages import Passage
from retriever.context import ContextCandidate, ContextPacker


def count_words(texts):
    return [len(t.split()) for t in texts]


def candidate(n: int, text: str, vector=None, score=None) -> ContextCandidate:
    answer = Answer(answer_id=f"a{n}", question_id=f"q{n}", question_title=f"Question {n}?", question_text="",
                    question_url=f"https://example.org/q{n}", answer=text, answer_original=text, topics=["t"],
                    therapist=f"Therapist {n}", therapist_url="", upvotes=0, views=0)
    return ContextCandidate(answer, Passage(n, f"a{n}", 0, 0, len(text), text), score or 1.0 / n, vector)


def unit(*values):
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


# Seven distinct passages (orthogonal vectors), each longer than the one before.
CANDIDATES = [candidate(n, " ".join(f"word{n}x{i}" for i in range(5 + 7 * n)), np.eye(8, dtype=np.float32)[n])
              for n in range(1, 8)]


def cited_numbers(context: str) -> list[int]:
    return [int(m) for m in re.findall(r"^\[(\d+)\] ", context, flags=re.M)]


@pytest.mark.parametrize("max_tokens", [1, 3, 8, 12, 17, 25, 40, 64, 100, 150, 400, 10_000])
def test_never_exceeds_budget_and_citations_match_the_list(max_tokens):
    packed = ContextPacker(count_words).pack(CANDIDATES, max_tokens, k=5)
    assert packed.tokens == count_words([packed.context])[0] <= max_tokens
    assert [p.number for p in packed.passages] == list(range(1, len(packed.passages) + 1))
    assert cited_numbers(packed.context) == [p.number for p in packed.passages]
    for p in packed.passages:
        assert f"[{p.number}] {p.candidate.answer.therapist}" in packed.context and p.text in packed.context
    assert len(packed.passages) <= 5


def test_more_budget_never_packs_fewer_passages_and_keeps_rank_order():
    counts = []
    for max_tokens in range(1, 300, 7):
        packed = ContextPacker(count_words).pack(CANDIDATES, max_tokens, k=7)
        counts.append(len(packed.passages))
        assert [p.candidate.answer.answer_id for p in packed.passages] == \
               [c.answer.answer_id for c in CANDIDATES[:len(packed.passages)]]
    assert counts == sorted(counts) and counts[0] == 0 and counts[-1] == 7


def test_a_passage_that_does_not_fit_whole_is_trimmed_at_a_word_and_packing_stops():
    whole_first = count_words([ContextPacker(count_words).pack(CANDIDATES[:1], 10_000, 1).context])[0]
    packed = ContextPacker(count_words).pack(CANDIDATES, whole_first + 20, k=5)
    assert [p.truncated for p in packed.passages] == [False, True]
    trimmed = packed.passages[1]
    assert trimmed.text.endswith(" …") and CANDIDATES[1].passage.text.startswith(trimmed.text[:-2])
    assert packed.context.endswith(trimmed.text) and packed.passages_left_out == len(CANDIDATES) - 2


def test_nothing_is_cited_when_not_even_a_few_words_fit():
    packed = ContextPacker(count_words).pack(CANDIDATES, 6, k=5)
    assert packed.passages == [] and packed.context == "" and packed.tokens == 0


def test_near_duplicates_are_packed_once():
    base = "Crying in a session is very common, and your counselor will not judge you."
    same_words = candidate(2, "crying in a session is VERY common; and your counselor will not judge you!", unit(0, 1, 0))
    contained = candidate(3, "Crying in a session is very common", unit(0, 0, 1))
    close_vector = candidate(4, "Tears in therapy happen all the time and nobody minds.", unit(1, 0.01, 0))
    distinct = candidate(5, "Keep a regular bedtime and avoid screens before sleep.", unit(0, 1, 1))
    packed = ContextPacker(count_words).pack([candidate(1, base, unit(1, 0, 0)), same_words, contained,
                                              close_vector, distinct], 10_000, k=5)
    assert [p.candidate.answer.answer_id for p in packed.passages] == ["a1", "a5"]
    assert packed.duplicates_skipped == 3 and cited_numbers(packed.context) == [1, 2]


def test_k_caps_the_passages():
    packed = ContextPacker(count_words).pack(CANDIDATES, 10_000, k=2)
    assert len(packed.passages) == 2 and packed.passages_left_out == len(CANDIDATES) - 2
