"""Splitting answers into passages that fit the model's window.

all-MiniLM-L6-v2 reads 256 word pieces and ignores the rest, and a quarter of CounselChat answers
are longer. We pack whole sentences into passages of at most `max_tokens` pieces (a sentence longer
than that is cut at word boundaries), so every part of an answer is embedded, and the passage that
best matches a worry can be highlighted by its character offsets in the answer.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Sequence

from index.text import one_line, sentence_spans

TokenCounter = Callable[[list[str]], list[int]]


@dataclass(frozen=True)
class Passage:
    passage_id: int
    answer_id: str
    ordinal: int
    start: int
    end: int
    text: str


def vector_id(key: str) -> int:
    """A stable non-negative 63-bit id for a vector store, derived from a string key."""
    return int.from_bytes(hashlib.sha1(key.encode("utf-8")).digest()[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF


def split_answer(answer_id: str, text: str, count_tokens: TokenCounter, max_tokens: int) -> list[Passage]:
    """Greedily pack consecutive sentences of `text` into passages of at most `max_tokens`."""
    spans = _fit_spans(text, sentence_spans(text) or [(0, len(text))], count_tokens, max_tokens)
    sizes = count_tokens([text[s:e] for s, e in spans])
    groups: list[tuple[int, int, int]] = []  # start, end, tokens
    for (start, end), size in zip(spans, sizes):
        if groups and groups[-1][2] + size <= max_tokens:
            first, _, used = groups[-1]
            groups[-1] = (first, end, used + size)
        else:
            groups.append((start, end, size))
    return [
        Passage(vector_id(f"{answer_id}#{n}"), answer_id, n, start, end, one_line(text[start:end]))
        for n, (start, end, _) in enumerate(groups)
    ]


def _fit_spans(text: str, spans: Sequence[tuple[int, int]], count_tokens: TokenCounter,
               max_tokens: int) -> list[tuple[int, int]]:
    """Cut any sentence longer than `max_tokens` into word-boundary pieces that fit."""
    sizes = count_tokens([text[s:e] for s, e in spans])
    fitted: list[tuple[int, int]] = []
    for (start, end), size in zip(spans, sizes):
        if size <= max_tokens:
            fitted.append((start, end))
            continue
        words = _word_spans(text, start, end)
        per_piece = max(1, int(len(words) * max_tokens / size * 0.9))
        for i in range(0, len(words), per_piece):
            chunk = words[i:i + per_piece]
            fitted.append((chunk[0][0], chunk[-1][1]))
    return fitted


def _word_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    for word in text[start:end].split():
        begin = text.index(word, pos)
        spans.append((begin, begin + len(word)))
        pos = begin + len(word)
    return spans
