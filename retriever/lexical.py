"""BM25 over a list of texts: numpy only, with English stemming and stopwords.

Built at load time from the texts the index already stores, so nothing extra is written to disk
and it can never disagree with the vectors. It computes exactly what bm25s's default ("lucene")
BM25 computes, float32 like it (tests/unit/test_lexical.py compares the two), but as whole-array
numpy instead of a loop per document and a scipy sparse matrix: built in a fraction of the time at
every start-up, and scipy is never imported by the service (cold start).
"""
from __future__ import annotations

import math
import re

import numpy as np
import Stemmer

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STEMMER = Stemmer.Stemmer("english")
# Lucene's classic English stopwords (the list bm25s ships as STOPWORDS_EN).
STOPWORDS = frozenset(("a an and are as at be but by for if in into is it no not of on or such that the their "
                       "then there these they this to was will with").split())


def tokenize(text: str) -> list[str]:
    """Lower-cased, stopword-free, stemmed word tokens."""
    return _STEMMER.stemWords([w for w in _TOKEN.findall(text.lower()) if w not in STOPWORDS])


class LexicalIndex:
    """BM25 scores of a query against every text, as one numpy array.

    Stored like a sparse column-major matrix: for each stemmed word, the documents that contain it
    (`docs[starts[w]:starts[w + 1]]`) and its precomputed BM25 score in each (`weights`).
    """

    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75):
        self.size = len(texts)
        # As `tokenize`, but each distinct word is stemmed and looked up once, not once per occurrence.
        words = [_TOKEN.findall(t.lower()) for t in texts]
        distinct = sorted({w for doc in words for w in doc} - STOPWORDS)
        self.vocab: dict[str, int] = {}
        word_ids = {w: self.vocab.setdefault(stem, len(self.vocab))
                    for w, stem in zip(distinct, _STEMMER.stemWords(distinct))}
        ids = [[word_ids[w] for w in doc if w in word_ids] for doc in words]
        self.docs, self.weights, self.starts = bm25_columns(ids, len(self.vocab), k1, b)

    def scores(self, query: str) -> np.ndarray:
        """BM25 of `query` against every document (work and memory proportional to the corpus)."""
        scores = np.zeros(self.size, dtype=np.float32)
        for token in self._tokens(query):
            start, end = self.starts[token], self.starts[token + 1]
            scores[self.docs[start:end]] += self.weights[start:end]  # a document appears once per word
        return scores

    def sparse_scores(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """(documents holding a query word, ascending; their BM25): work proportional to the postings
        of the query's words, not to the corpus."""
        tokens = self._tokens(query)
        if not tokens:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        docs = np.concatenate([self.docs[self.starts[t]:self.starts[t + 1]] for t in tokens]).astype(np.int64)
        weights = np.concatenate([self.weights[self.starts[t]:self.starts[t + 1]] for t in tokens])
        order = np.argsort(docs, kind="stable")
        docs, weights = docs[order], weights[order]
        unique, first = np.unique(docs, return_index=True)
        return unique, np.add.reduceat(weights, first) if len(first) else weights

    @staticmethod
    def top(sparse: tuple[np.ndarray, np.ndarray], k: int, allowed: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
        """The `k` best documents of `sparse_scores`' result (positions, scores; best first), among
        `allowed` positions (sorted) when given."""
        docs, scores = sparse
        if allowed is not None:
            keep = np.isin(docs, allowed, assume_unique=True)
            docs, scores = docs[keep], scores[keep]
        if len(docs) > k:
            part = np.argpartition(-scores, k - 1)[:k]
            docs, scores = docs[part], scores[part]
        order = np.lexsort((docs, -scores))
        return docs[order], scores[order]

    @staticmethod
    def scores_of(sparse: tuple[np.ndarray, np.ndarray], positions: np.ndarray) -> np.ndarray:
        """The BM25 of `sparse_scores`' result at `positions` (0 where no query word is in the document)."""
        docs, scores = sparse
        out = np.zeros(len(positions), dtype=np.float32)
        if len(docs):
            where = np.searchsorted(docs, positions)
            found = (where < len(docs)) & (docs[np.minimum(where, len(docs) - 1)] == positions)
            out[found] = scores[where[found]]
        return out

    def _tokens(self, query: str) -> list[int]:
        return [self.vocab[t] for t in tokenize(query) if t in self.vocab]


def bm25_columns(doc_token_ids: list[list[int]], vocab_size: int, k1: float, b: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per token id: the documents containing it and its BM25 score there (Lucene's idf and tf parts).

    idf = ln(1 + (N - df + 0.5) / (df + 0.5)); tf part = tf / (k1 (1 - b + b |d| / avg|d|) + tf);
    idf rounded to float32, the product in float64, then float32: the rounding bm25s does.
    """
    lengths = np.array([len(doc) for doc in doc_token_ids], dtype=np.int64)
    if not vocab_size or not lengths.sum():
        return np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(vocab_size + 1, np.int64)
    doc_of = np.repeat(np.arange(len(doc_token_ids), dtype=np.int64), lengths)
    tokens = np.fromiter((t for doc in doc_token_ids for t in doc), dtype=np.int64, count=int(lengths.sum()))
    pairs, tf = np.unique(tokens * len(doc_token_ids) + doc_of, return_counts=True)  # by token, then document
    token, doc = np.divmod(pairs, len(doc_token_ids))
    df = np.bincount(token, minlength=vocab_size)
    n_docs = len(doc_token_ids)
    idf = np.array([math.log(1 + (n_docs - f + 0.5) / (f + 0.5)) if f else 0.0 for f in df.tolist()],
                   dtype=np.float32)
    norm = k1 * ((1 - b) + b * lengths / lengths.mean())  # float64, as bm25s's per-document scalar
    weights = idf[token].astype(np.float64) * (tf / (norm[doc] + tf))
    starts = np.zeros(vocab_size + 1, dtype=np.int64)
    np.cumsum(df, out=starts[1:])
    return doc.astype(np.int32), weights.astype(np.float32), starts
