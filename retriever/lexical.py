"""BM25 over a list of texts (bm25s's sparse scoring, with English stemming and stopwords).

Built at load time from the texts the index already stores: a few hundred milliseconds for
CounselChat, so nothing extra is written to disk and it can never disagree with the vectors.
"""
from __future__ import annotations

import re

import bm25s
import numpy as np
import Stemmer

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STEMMER = Stemmer.Stemmer("english")
_STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN)


def tokenize(text: str) -> list[str]:
    """Lower-cased, stopword-free, stemmed word tokens."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _STOPWORDS]
    return _STEMMER.stemWords(words)


class LexicalIndex:
    """BM25 scores of a query against every text, as one numpy array."""

    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75):
        self.size = len(texts)
        tokens = [tokenize(t) for t in texts]
        self.vocab: dict[str, int] = {}
        ids = [[self.vocab.setdefault(tok, len(self.vocab)) for tok in doc] for doc in tokens]
        self.model = bm25s.BM25(k1=k1, b=b)
        if self.size:
            self.model.index(bm25s.tokenization.Tokenized(ids=ids, vocab=self.vocab), show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        query_ids = [self.vocab[t] for t in tokenize(query) if t in self.vocab]
        if not query_ids or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.model.get_scores(query_ids), dtype=np.float32)
