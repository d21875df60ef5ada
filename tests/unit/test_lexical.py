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


# --- postings written with the version, and the top-k at scale ------------------------------------

def random_corpus(documents: int, seed: int = 3) -> list[str]:
    """Texts of a Zipf-like vocabulary: a few words in most documents, many rare ones."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}x" for i in range(400)]
    weights = 1 / np.arange(1, len(words) + 1)
    weights /= weights.sum()
    return [" ".join(rng.choice(words, size=int(rng.integers(3, 40)), p=weights)) for _ in range(documents)]


def test_postings_written_and_mapped_back_score_exactly_as_built_in_memory(tmp_path):
    from index.bm25 import DictVocabulary, open_postings, write_postings

    built = LexicalIndex(TEXTS)
    write_postings(tmp_path, "answers", built.postings)
    opened = LexicalIndex(postings=open_postings(tmp_path, "answers", DictVocabulary(built.postings.vocab), len(TEXTS)))
    for query in QUERIES:
        assert np.array_equal(opened.scores(query), built.scores(query))
        assert [a.tolist() for a in opened.top(query, 3)] == [a.tolist() for a in built.top(query, 3)]


@pytest.mark.parametrize("allowed", [None, "even"])
def test_the_accumulating_top_k_for_many_postings_equals_the_gathering_one_bit_for_bit(monkeypatch, allowed):
    import retriever.lexical as lexical

    index = LexicalIndex(random_corpus(3000))
    queries = ["w0x w1x w2x", "w3x w150x w399x w2x w2x", "w0x", "w7x w8x w9x w10x w11x w12x w13x w14x", "nothing"]
    keep = (lambda docs: docs % 2 == 0) if allowed == "even" else None
    gathered = [index.top(q, 20, keep) for q in queries]  # few postings: gathered whole
    monkeypatch.setattr(lexical, "WHOLE_SCAN_POSTINGS", 0)
    accumulated = [index.top(q, 20, keep) for q in queries]
    for (d1, s1), (d2, s2) in zip(gathered, accumulated):
        assert np.array_equal(s1, s2)  # the same scores, best first
        above = s1 > s1.min() if len(s1) else s1.astype(bool)  # documents tied at the cut-off may be either
        assert np.array_equal(d1[above], d2[above])
        assert keep is None or not (d2 % 2).any()


def test_scores_of_given_documents_equal_the_gathering_pass_and_are_zero_elsewhere():
    index = LexicalIndex(random_corpus(500))
    for query in ["w0x w5x w5x w90x", "w1x", "zebra"]:
        docs, scores = index.sparse_scores(query)
        wanted = np.array([3, 3, 0, 499, 250, *docs[:5].tolist()])
        expected = dict(zip(docs.tolist(), scores.tolist()))
        assert index.scores_of(query, wanted).tolist() == [expected.get(d, 0.0) for d in wanted.tolist()]
