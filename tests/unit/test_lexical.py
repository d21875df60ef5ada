"""BM25 (retriever/lexical.py): the scores bm25s's Lucene BM25 gives, bit for bit, from numpy alone."""
import numpy as np
import pytest

from retriever.lexical import STOPWORDS, LexicalIndex, tokenize

bm25s = pytest.importorskip("bm25s", reason="bm25s is the reference implementation (pip install bm25s)")

TEXTS = [
    "I cry in every session with my counselor and I don't know why.",
    "Crying in therapy is common; tears are often a sign that something important is being touched.",
    "My dog died last week and I can't stop crying. Is grief like this normal?",
    "I can't sleep at night because I keep worrying about work.",
    "Sleep problems and worry feed each other: try a wind-down routine before bed.",
    "",
    "the and of a",
    "Caffeine, caffeine, caffeine: three cups make me anxious and shaky.",
]
QUERIES = ["crying in therapy", "can't sleep, worrying at night", "caffeine anxious", "grief dog died",
           "sleep sleep sleep", "the and of", "zebrafish", "CRYING Cry cried"]


def reference_scores(texts: list[str], query: str, k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in tokenize(text)] for text in texts]
    model = bm25s.BM25(k1=k1, b=b)
    model.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
    query_ids = [vocab[t] for t in tokenize(query) if t in vocab]
    return np.asarray(model.get_scores(query_ids), dtype=np.float32) if query_ids else np.zeros(len(texts), np.float32)


@pytest.mark.parametrize("query", QUERIES)
def test_scores_equal_bm25s_exactly(query):
    assert np.array_equal(LexicalIndex(TEXTS).scores(query), reference_scores(TEXTS, query))


def test_other_parameters_equal_bm25s_too():
    index = LexicalIndex(TEXTS, k1=1.5, b=0.3)
    for query in QUERIES:
        assert np.array_equal(index.scores(query), reference_scores(TEXTS, query, k1=1.5, b=0.3))


def test_a_document_with_the_words_outscores_one_without_and_unknown_words_score_zero():
    scores = LexicalIndex(TEXTS).scores("caffeine")
    assert scores[7] > 0 and scores[:7].max() == 0
    assert not LexicalIndex(TEXTS).scores("zebrafish").any()


def test_stopwords_and_case_are_ignored_and_words_are_stemmed():
    assert tokenize("The CRYING and the cries") == ["cri", "cri"]
    assert "the" in STOPWORDS and "sleep" not in STOPWORDS


def test_an_empty_collection_scores_nothing():
    assert LexicalIndex([]).scores("anything").shape == (0,)
    assert LexicalIndex(["", "the"]).scores("the").tolist() == [0.0, 0.0]
