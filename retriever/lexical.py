"""BM25 at query time: the best documents for a worry, and the scores of given documents, from postings.

The postings are written with the index version (index/bm25.py) and mapped, or built in memory
from texts (`LexicalIndex(texts)`); either way the scores are exactly bm25s's default ("lucene")
BM25, float32 like it (tests/unit/test_lexical.py compares the two bit for bit).

`top` is an inverted-index top-k: it reads the postings of the query's words only.
- A query whose words have few postings in all (CounselChat: every query) gathers them, sums each
  document's weights and keeps the k best, exactly as before.
- Otherwise it does what bm25s's retrieval does: each word's weights are added into one score per
  document (one scatter per word, no sort of the postings), the documents near the k-th best are
  picked, and those few are scored again exactly as above, so the result (documents, scores,
  order) is the one the gathering pass gives, at a fraction of its cost: at 100,000 answers,
  p50 2.2 ms instead of 7.3 ms and the slowest of 300 judged worries 5 ms instead of 66 ms.
  (MaxScore pruning, tried first, was slower than either in numpy: long worries have too many
  words whose bounds cannot be left out.)
`scores_of` scores given documents only (each word's postings looked up for them). Scores of a
document set are always added the way the gathering pass adds them (each document's weights in
query-word order, one `np.add.reduceat`), so every path gives the same float32 bits.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from index.bm25 import STOPWORDS, Postings, build_postings, tokenize
from retriever.sets import distinct_of

__all__ = ["STOPWORDS", "LexicalIndex", "tokenize", "WHOLE_SCAN_POSTINGS"]

# A query whose words hold at most this many postings in all is gathered whole (CounselChat: always).
WHOLE_SCAN_POSTINGS = 100_000
BOUND_MARGIN = 1e-4  # relative: documents this close below the k-th added-up score are scored exactly too

DocFilter = Callable[[np.ndarray], np.ndarray]  # document positions -> which of them may be returned


class LexicalIndex:
    """BM25 of a query against a collection, from its postings (index/bm25.py)."""

    def __init__(self, texts: list[str] | None = None, k1: float = 1.2, b: float = 0.75, *,
                 postings: Postings | None = None):
        self.postings = postings if postings is not None else build_postings(texts or [], k1, b)
        self.size = self.postings.size
        self.docs, self.weights = self.postings.docs, self.postings.weights
        self.starts, self.max_weight = self.postings.starts, self.postings.max_weight

    def tokens(self, words: list[str]) -> list[int]:
        """Stemmed query words (`tokenize`) as this collection's token ids, in query order (a repeated
        word counts again; a word no document holds is left out)."""
        return [t for t in self.postings.vocab.lookup(words) if t is not None] if words else []

    def _tokens(self, query: str | list[int]) -> list[int]:
        return query if isinstance(query, list) else self.tokens(tokenize(query))

    def _range(self, token: int) -> tuple[int, int]:
        return int(self.starts[token]), int(self.starts[token + 1])

    def scores(self, query: str) -> np.ndarray:
        """BM25 of `query` against every document, added word by word as bm25s adds them (work and
        memory proportional to the corpus: for tools, not the query path)."""
        scores = np.zeros(self.size, dtype=np.float32)
        for token in self._tokens(query):
            start, end = self._range(token)
            scores[self.docs[start:end]] += self.weights[start:end]  # a document appears once per word
        return scores

    def sparse_scores(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """(documents holding a query word, ascending; their BM25)."""
        return self._whole(self._tokens(query))

    def top(self, query: str | list[int], k: int, allowed: np.ndarray | DocFilter | None = None, *,
            whole: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The `k` best documents for `query` (positions, scores; best first, equal scores by position),
        among `allowed` (sorted positions, or a function telling which positions may be returned).
        `query` is a text, or its `tokens` already looked up; `whole` scores every document holding a
        query word whatever their number (the reference full scan, retriever/exact.py)."""
        tokens = self._tokens(query)
        if k <= 0 or not tokens:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        keep = _as_filter(allowed)
        distinct = distinct_of(np.array(tokens, dtype=np.int64))
        lengths = self.starts[distinct + 1] - self.starts[distinct]  # each distinct word's postings
        if whole or int(lengths.sum()) <= WHOLE_SCAN_POSTINGS:
            docs, scores = self._whole(tokens)
            if keep is not None:
                kept = keep(docs)
                docs, scores = docs[kept], scores[kept]
            return _best(docs, scores, k)
        docs, scores = self._accumulated(tokens, distinct, lengths, k, keep)
        order = np.lexsort((docs, -scores))[:k]  # a superset of the top k: cut it deterministically
        return docs[order], scores[order]

    def _accumulated(self, tokens: list[int], distinct: np.ndarray, lengths: np.ndarray, k: int,
                     keep: DocFilter | None) -> tuple[np.ndarray, np.ndarray]:
        """bm25s's way: every query word's weights added into one score per document, then the best
        picked; the few near the k-th best are scored exactly (a superset of the top k)."""
        totals = np.zeros(self.size, dtype=np.float32)
        for t in distinct.tolist():
            start, end = self._range(t)
            repeats = tokens.count(t)
            weights = self.weights[start:end] if repeats == 1 else self.weights[start:end] * np.float32(repeats)
            np.add.at(totals, self.docs[start:end], weights)  # numpy's unbuffered scatter: ~2.5x `totals[d] += w`
        floor = self._kth_floor(totals, distinct, lengths, k, keep)
        docs = np.flatnonzero(totals >= floor) if floor > 0 else np.flatnonzero(totals)
        if keep is not None:
            docs = docs[keep(docs)]
        if len(docs) > k:
            scores = totals[docs]
            bar = np.partition(scores, len(scores) - k)[len(scores) - k] * (1 - BOUND_MARGIN)
            docs = docs[scores >= bar]
        return self._exact(tokens, docs)

    def _kth_floor(self, totals: np.ndarray, distinct: np.ndarray, lengths: np.ndarray, k: int,
                   keep: DocFilter | None) -> float:
        """A score at or below the k-th best added-up score: the k-th best among the documents of the
        query's rarest words (their postings are short; each is a real document, so at least k of all
        reach it), less the margin. Keeping only the documents at or above it leaves the k-th best, and
        so the cut below, exactly as over every document, without sorting the hundreds of thousands a
        common word holds (top 50 of 1M answers: 17.7 -> 10.1 ms a query, the same results). 0 when
        the rare words hold fewer than k allowed documents."""
        parts, held = [], 0
        for t in distinct[np.argsort(lengths, kind="stable")].tolist():
            start, end = self._range(t)
            parts.append(np.asarray(self.docs[start:end]))
            held += end - start
            if held >= 4 * k:
                break
        docs = distinct_of(*parts)
        if keep is not None:
            docs = docs[keep(docs)]
        if len(docs) < k:
            return 0.0
        scores = totals[docs]
        return float(np.partition(scores, len(scores) - k)[len(scores) - k]) * (1 - BOUND_MARGIN)

    def scores_of(self, query: str | list[int], positions: np.ndarray) -> np.ndarray:
        """BM25 of `query` (a text, or its `tokens`) against the documents at `positions` only (0 where
        no word matches)."""
        positions = np.asarray(positions, dtype=np.int64)
        out = np.zeros(len(positions), dtype=np.float32)
        tokens = self._tokens(query)
        if not tokens or not len(positions):
            return out
        unique, back = np.unique(positions, return_inverse=True)
        docs, scores = self._exact(tokens, unique)
        found, where = _lookup(docs, unique)
        per_unique = np.zeros(len(unique), dtype=np.float32)
        per_unique[found] = scores[where[found]]
        return per_unique[back]

    # --- scoring ----------------------------------------------------------------------------------

    def _whole(self, tokens: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Every document holding a query word, with its score (the postings of every word read)."""
        if not tokens:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        ranges = [self._range(t) for t in tokens]
        docs = np.concatenate([self.docs[s:e] for s, e in ranges]).astype(np.int64)
        weights = np.concatenate([self.weights[s:e] for s, e in ranges])
        return _summed(docs, weights)

    def _exact(self, tokens: list[int], candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The candidates (sorted, distinct) that hold a query word, with their exact scores: each word's
        postings are looked up for the candidates only, and summed as `_whole` sums them."""
        docs, weights = [], []
        for token in tokens:
            start, end = self._range(token)
            found, where = _lookup(self.docs[start:end], candidates)
            docs.append(candidates[found])
            weights.append(np.asarray(self.weights[start:end])[where[found]])
        return _summed(np.concatenate(docs), np.concatenate(weights))

def _as_filter(allowed: np.ndarray | DocFilter | None) -> DocFilter | None:
    if allowed is None or callable(allowed):
        return allowed
    sorted_allowed = np.asarray(allowed, dtype=np.int64)
    return lambda docs: np.isin(docs, sorted_allowed)


def _lookup(sorted_docs: np.ndarray, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each candidate: whether it is in `sorted_docs`, and where."""
    if not len(sorted_docs) or not len(candidates):
        return np.zeros(len(candidates), bool), np.zeros(len(candidates), np.int64)
    where = np.minimum(np.searchsorted(sorted_docs, candidates), len(sorted_docs) - 1)
    return np.asarray(sorted_docs)[where] == candidates, where


def _summed(docs: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct documents ascending, the sum of each one's weights in the order given)."""
    if not len(docs):
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    order = np.argsort(docs, kind="stable")
    docs, weights = docs[order], np.asarray(weights)[order]
    unique, first = np.unique(docs, return_index=True)
    return unique, np.add.reduceat(weights, first)


def _best(docs: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (score descending, then position; which of several documents tied at the k-th
    score stay is argpartition's choice, as it always was for a whole scan)."""
    if len(docs) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        docs, scores = docs[part], scores[part]
    order = np.lexsort((docs, -scores))
    return docs[order], scores[order]
