"""BM25 over a list of texts (bm25s's sparse scoring, with English stemming and stopwords).

Built at load time from the texts the index already stores: a few hundred milliseconds for
CounselChat, so nothing extra is written to disk and it can never disagree with the vectors.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import Stemmer

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STEMMER = Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """bm25s's English stopwords. bm25s is imported on first use, not with this module: it pulls in
    scipy (a quarter of a second), which then loads beside the model instead of delaying start-up."""
    import bm25s

    return frozenset(bm25s.stopwords.STOPWORDS_EN)


def tokenize(text: str) -> list[str]:
    """Lower-cased, stopword-free, stemmed word tokens."""
    stop = stopwords()
    words = [w for w in _TOKEN.findall(text.lower()) if w not in stop]
    return _STEMMER.stemWords(words)


class LexicalIndex:
    """BM25 scores of a query against every text, as one numpy array."""

    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75):
        import bm25s

        self.size = len(texts)
        # As `tokenize`, but each distinct word is stemmed and looked up once, not once per occurrence:
        # this index is built at every start-up, and cold start counts (a third faster for CounselChat).
        words = [_TOKEN.findall(t.lower()) for t in texts]
        distinct = sorted({w for doc in words for w in doc} - stopwords())
        self.vocab: dict[str, int] = {}
        word_ids = {w: self.vocab.setdefault(stem, len(self.vocab))
                    for w, stem in zip(distinct, _STEMMER.stemWords(distinct))}
        ids = [[word_ids[w] for w in doc if w in word_ids] for doc in words]
        self.model = bm25s.BM25(k1=k1, b=b)
        if self.size:
            self.model.index(bm25s.tokenization.Tokenized(ids=ids, vocab=self.vocab), show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        query_ids = [self.vocab[t] for t in tokenize(query) if t in self.vocab]
        if not query_ids or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.model.get_scores(query_ids), dtype=np.float32)
