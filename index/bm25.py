"""BM25 postings, built once when an index version is written and read in place by every worker.

Why here and not at start-up: tokenising every text in every server process costs time and memory
in proportion to the corpus, once per worker. A build tokenises once and writes, for each lexicon
(question texts, answer texts), the postings: for each stemmed word, the documents that hold it
(ascending) and the word's precomputed BM25 weight in each, plus the word's largest weight (the
bound a top-k search prunes with, retriever/lexical.py). The arrays are `.npy` files that workers
map read-only: the pages are shared between processes and only the postings of a query's words are
read. The vocabulary (word -> token id) goes into the version's catalog (index/catalog.py).

Scores are bm25s's default ("lucene") BM25, float32 like it (tests/unit/test_lexical.py):
idf = ln(1 + (N - df + 0.5) / (df + 0.5)); weight = idf * tf / (k1 (1 - b + b |d| / avg|d|) + tf),
idf rounded to float32, the product in float64, then float32, the rounding bm25s does.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Iterable, Iterator, Protocol, Sequence

import numpy as np
import Stemmer

from index.arrays import open_array, save_array

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STEMMER = Stemmer.Stemmer("english")
# Lucene's classic English stopwords (the list bm25s ships as STOPWORDS_EN).
STOPWORDS = frozenset(("a an and are as at be but by for if in into is it no not of on or such that the their "
                       "then there these they this to was will with").split())
BUILD_CHUNK = 20_000  # texts tokenised at a time: a million-answer build never holds every token as a string
LEXICONS = ("questions", "answers")


def tokenize(text: str) -> list[str]:
    """Lower-cased, stopword-free, stemmed word tokens."""
    return _STEMMER.stemWords([w for w in _TOKEN.findall(text.lower()) if w not in STOPWORDS])


class Vocabulary(Protocol):
    def lookup(self, words: Sequence[str]) -> list[int | None]:
        """The token id of each word (None for a word no document holds)."""


class DictVocabulary(dict):
    """A vocabulary held in memory (while building, and for indexes without a catalog)."""

    def lookup(self, words: Sequence[str]) -> list[int | None]:
        return [self.get(w) for w in words]


@dataclass
class Postings:
    """One lexicon's postings: token t's documents are `docs[starts[t]:starts[t + 1]]` (ascending),
    with their BM25 weights in `weights` at the same places; `max_weight[t]` is the largest of them."""

    vocab: Vocabulary
    docs: np.ndarray  # int32
    weights: np.ndarray  # float32
    starts: np.ndarray  # int64, one more than the tokens
    max_weight: np.ndarray  # float32, per token
    size: int  # documents

    ARRAYS = ("docs", "weights", "starts", "max_weight")

    @staticmethod
    def file_name(name: str, array: str) -> str:
        return f"bm25_{name}_{array}.npy"


def build_postings(texts: Iterable[str], k1: float = 1.2, b: float = 0.75, chunk: int = BUILD_CHUNK) -> Postings:
    """Postings of `texts`, tokenised a chunk at a time (each distinct word stemmed once)."""
    vocab = DictVocabulary()  # stem -> token id
    word_token: dict[str, int] = {}  # surface word -> token id: each distinct word is stemmed once
    tokens, docs, tfs, lengths = [], [], [], []
    offset = 0
    iterator = iter(texts)
    while batch := list(islice(iterator, chunk)):
        words = [_TOKEN.findall(t.lower()) for t in batch]
        new = sorted({w for doc in words for w in doc} - word_token.keys() - STOPWORDS)
        for word, stem in zip(new, _STEMMER.stemWords(new)):
            word_token[word] = vocab.setdefault(stem, len(vocab))
        ids = [[word_token[w] for w in doc if w in word_token] for doc in words]
        sizes = np.array([len(doc) for doc in ids], dtype=np.int64)
        flat = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(sizes.sum()))
        local = np.repeat(np.arange(len(batch), dtype=np.int64), sizes)
        pairs, tf = np.unique(flat * len(batch) + local, return_counts=True)  # by token, then document
        token, doc = np.divmod(pairs, len(batch))
        tokens.append(token.astype(np.int32))
        docs.append((doc + offset).astype(np.int32))
        tfs.append(tf.astype(np.int32))
        lengths.append(sizes)
        offset += len(batch)
    return _weighted(vocab, _cat(tokens, np.int32), _cat(docs, np.int32), _cat(tfs, np.int32),
                     _cat(lengths, np.int64), k1, b)


def _cat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def _weighted(vocab: DictVocabulary, token: np.ndarray, doc: np.ndarray, tf: np.ndarray, lengths: np.ndarray,
              k1: float, b: float) -> Postings:
    n_docs, vocab_size = len(lengths), len(vocab)
    if not vocab_size or not lengths.sum():
        return Postings(vocab, np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(vocab_size + 1, np.int64),
                        np.zeros(vocab_size, np.float32), n_docs)
    order = np.argsort(token, kind="stable")  # chunks are in document order: (token, document) order
    token, doc, tf = token[order], doc[order], tf[order]
    df = np.bincount(token, minlength=vocab_size)
    idf = np.array([math.log(1 + (n_docs - f + 0.5) / (f + 0.5)) if f else 0.0 for f in df.tolist()],
                   dtype=np.float32)
    norm = k1 * ((1 - b) + b * lengths / lengths.mean())  # float64, as bm25s's per-document scalar
    weights = (idf[token].astype(np.float64) * (tf / (norm[doc] + tf))).astype(np.float32)
    starts = np.zeros(vocab_size + 1, dtype=np.int64)
    np.cumsum(df, out=starts[1:])
    max_weight = np.maximum.reduceat(weights, starts[:-1]) if len(weights) else np.zeros(vocab_size, np.float32)
    return Postings(vocab, doc, weights, starts, max_weight.astype(np.float32), n_docs)


def write_postings(directory: Path, name: str, postings: Postings) -> list[str]:
    """Write the arrays of lexicon `name` into `directory`; return the file names (the vocabulary
    is written by the catalog)."""
    files = []
    for array in Postings.ARRAYS:
        file_name = Postings.file_name(name, array)
        save_array(directory / file_name, getattr(postings, array))
        files.append(file_name)
    return files


def open_postings(directory: Path, name: str, vocab: Vocabulary, size: int) -> Postings:
    """The postings of lexicon `name`, mapped read-only (nothing is read until a query needs it)."""
    arrays = {array: open_array(directory / Postings.file_name(name, array)) for array in Postings.ARRAYS}
    return Postings(vocab, size=size, **arrays)


def words_of(postings: Postings) -> Iterator[tuple[str, int]]:
    """(word, token id) of an in-memory vocabulary, for the catalog to store."""
    if not isinstance(postings.vocab, dict):
        raise TypeError("only a vocabulary built in memory can be written")
    return iter(postings.vocab.items())
