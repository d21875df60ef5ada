"""Context for chatbots: the best passages for a worry, packed into a token budget with citations.

A chatbot grounding its reply needs short, relevant text that fits the room it has left in its
prompt, and numbers it can cite. So we take the ranked answers, use each one's best passage (the
ranker's highlight, not the whole answer), drop passages that repeat one already packed, and add
them in rank order to a ready-to-paste `context` string, citation `[n]` for the n-th passage.

The budget is counted with the embedding model's own tokenizer (`Embedder.token_counts`) on the
WHOLE context string, citation markers and headers included, so the string never exceeds it. A
chatbot's own tokenizer differs, but word-piece counts are a close, usually generous, estimate;
callers leave themselves a margin. When the next passage does not fit whole, it is trimmed at a
word boundary (marked `truncated`) if a useful part fits, and packing stops there.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from index.corpus import Answer
from index.passages import Passage
from retriever.service import QueryError, SearchOutcome, SearchService

TokenCounter = Callable[[list[str]], list[int]]

DUPLICATE_COSINE = 0.95  # passages this close in the embedding space say the same thing
MIN_TRIMMED_WORDS = 8  # a trimmed passage shorter than this is not worth a citation
ELLIPSIS = " …"
CANDIDATES_PER_PASSAGE = 3  # rank this many answers per wanted passage, so duplicates leave spares
MAX_CONTEXT_TOKENS = 8000
MAX_CONTEXT_PASSAGES = 20


@dataclass(frozen=True)
class ContextCandidate:
    """One ranked answer's best passage, with what packing needs to judge and cite it."""

    answer: Answer
    passage: Passage
    score: float
    vector: np.ndarray | None = None  # the passage's normalised embedding (None: compare text only)


@dataclass(frozen=True)
class PackedPassage:
    number: int  # the citation number: `[number]` in the context string
    candidate: ContextCandidate
    text: str  # the passage as packed (trimmed when `truncated`)
    truncated: bool


@dataclass
class PackedContext:
    passages: list[PackedPassage]
    context: str
    tokens: int
    duplicates_skipped: int = 0
    passages_left_out: int = 0  # non-duplicates ranked but not packed: no room, or `k` reached
    notes: list[str] = field(default_factory=list)


def citation_block(number: int, answer: Answer, text: str) -> str:
    """How one passage reads in the context string: its number, who wrote it and to what question."""
    return f"[{number}] {answer.therapist or 'A therapist'}, answering \"{answer.question_title}\":\n{text}"


def render(blocks: Sequence[str]) -> str:
    return "\n\n".join(blocks)


def comparable_text(text: str) -> str:
    """Text compared for duplicates: lower case, letters and digits only, single spaces."""
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


class ContextPacker:
    def __init__(self, count_tokens: TokenCounter, duplicate_cosine: float = DUPLICATE_COSINE,
                 min_trimmed_words: int = MIN_TRIMMED_WORDS):
        self.count_tokens = count_tokens
        self.duplicate_cosine = duplicate_cosine
        self.min_trimmed_words = min_trimmed_words

    def tokens(self, text: str) -> int:
        return self.count_tokens([text])[0] if text else 0

    def pack(self, candidates: Sequence[ContextCandidate], max_tokens: int, k: int) -> PackedContext:
        """Pack up to `k` distinct passages, best first, into at most `max_tokens` tokens."""
        packed: list[PackedPassage] = []
        blocks: list[str] = []
        duplicates = left_out = 0
        full = False
        for candidate in candidates:
            if self.is_duplicate(candidate, [p.candidate for p in packed]):
                duplicates += 1
                continue
            if full or len(packed) == k:
                left_out += 1
                continue
            number = len(packed) + 1
            whole = citation_block(number, candidate.answer, candidate.passage.text)
            if self.tokens(render(blocks + [whole])) <= max_tokens:
                blocks.append(whole)
                packed.append(PackedPassage(number, candidate, candidate.passage.text, False))
                continue
            full = True  # the best remaining passage does not fit whole: trim it, then stop
            trimmed = self._trim_to_fit(blocks, number, candidate, max_tokens)
            if trimmed is None:
                left_out += 1
                continue
            blocks.append(citation_block(number, candidate.answer, trimmed))
            packed.append(PackedPassage(number, candidate, trimmed, True))
        context = render(blocks)
        return PackedContext(packed, context, self.tokens(context), duplicates, left_out)

    def is_duplicate(self, candidate: ContextCandidate, packed: Sequence[ContextCandidate]) -> bool:
        """Same text once normalised, one contained in the other, or embeddings nearly identical."""
        key = comparable_text(candidate.passage.text)
        for other in packed:
            other_key = comparable_text(other.passage.text)
            if key == other_key or (key and other_key and (key in other_key or other_key in key)):
                return True
            if candidate.vector is not None and other.vector is not None and \
                    float(np.dot(candidate.vector, other.vector)) >= self.duplicate_cosine:
                return True
        return False

    def _trim_to_fit(self, blocks: list[str], number: int, candidate: ContextCandidate,
                     max_tokens: int) -> str | None:
        """The longest word-boundary prefix of the passage that still fits, or None if too little does."""
        text = candidate.passage.text
        ends = [m.end() for m in re.finditer(r"\S+", text)]

        def attempt(words: int) -> str:
            return text[:ends[words - 1]].rstrip(" ,;:") + ELLIPSIS

        def fits(words: int) -> bool:
            return self.tokens(render(blocks + [citation_block(number, candidate.answer, attempt(words))])) <= max_tokens

        low, high = 0, len(ends) - 1  # invariant: `low` words fit (0 trivially); the whole passage did not
        while low < high:
            middle = (low + high + 1) // 2
            if fits(middle):
                low = middle
            else:
                high = middle - 1
        return attempt(low) if low >= self.min_trimmed_words else None


def candidates_from(ranked_results, passage_vectors: Callable[[list[int]], np.ndarray | None]) -> list[ContextCandidate]:
    """Each ranked answer's best passage (the ranker's highlight) as a packing candidate."""
    with_passage = [r for r in ranked_results if r.highlight is not None]
    vectors = passage_vectors([r.highlight.passage_id for r in with_passage]) if with_passage else None
    return [ContextCandidate(r.answer, r.highlight, r.score, None if vectors is None else vectors[i])
            for i, r in enumerate(with_passage)]


def candidate_count(k: int, max_k: int) -> int:
    """How many answers to rank for `k` passages: spares for duplicates, within the service's limit."""
    return max(1, min(max_k, k * CANDIDATES_PER_PASSAGE))


@dataclass
class ContextOutcome:
    search: SearchOutcome  # the ranking the passages came from (and, with it, the query's checks)
    packed: PackedContext
    max_tokens: int
    tokenizer: str  # the model whose tokenizer counted `packed.tokens`
    took_ms: float  # searching and packing


def gather_context(service: SearchService, query: str, max_tokens: int = 800, k: int = 5,
                   topics: Sequence[str] | None = None) -> ContextOutcome:
    """Rank answers for `query` and pack their best passages into `max_tokens` (see module doc)."""
    if not 1 <= max_tokens <= MAX_CONTEXT_TOKENS:
        raise QueryError(f"max_tokens must be between 1 and {MAX_CONTEXT_TOKENS}")
    if not 1 <= k <= MAX_CONTEXT_PASSAGES:
        raise QueryError(f"k must be between 1 and {MAX_CONTEXT_PASSAGES}")
    started = time.perf_counter()
    index = service.index
    outcome = service.search(query, candidate_count(k, service.limits.max_k), topics)

    def passage_vectors(ids: list[int]) -> np.ndarray | None:
        try:
            return index.passage_store.get_vectors(ids)
        except Exception:  # the index was swapped mid-request: compare passages by text alone
            return None

    packer = ContextPacker(service.embedder.token_counts)
    packed = packer.pack(candidates_from(outcome.ranking.results, passage_vectors), max_tokens, k)
    return ContextOutcome(outcome, packed, max_tokens, service.embedder.name, (time.perf_counter() - started) * 1000)
