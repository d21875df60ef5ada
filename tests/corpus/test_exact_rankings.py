"""On the real corpus, the sublinear path (nearest-neighbour stores, inverted-index BM25, signals read
for the candidates only) ranks exactly as the full scan (retriever/exact.py: every question view and
passage scored by one matrix product, BM25 over every document holding a query word), which is how
the ranker found its candidates before. At CounselChat size the stores are flat (exact), so the
same answers must come in the same order with the same highlights, for ordinary and crisis
queries, with and without topic filters; scores may differ in the last float32 bits (cosines of a
candidate are computed on its own vectors instead of read from one product over all of them).
Candidate counts may differ by the answers of a question tied with another at a source's cut-off
(two questions with the same title: which one the 100th place goes to is arbitrary either way).
"""
import numpy as np
import pytest

from index.loader import load_index
from retriever.crisis_retrieval import rank_for_crisis
from retriever.evaluation import read_qrels
from retriever.exact import FullScanExtractor
from retriever.ranking import Ranker, RankingConfig
from retriever.signals import SignalExtractor
from scripts.load_test import WORRIES
from tests.conftest import ROOT

TOPICS = [None, ["depression"], ["anxiety", "relationships"], ["grief-and-loss"]]


@pytest.fixture(scope="module")
def worries(real_embedder):
    judged = [w.text for w in read_qrels(ROOT / "data" / "ranking" / "qrels.tsv")]
    texts = list(dict.fromkeys([*WORRIES, *judged[::3]]))
    return texts, real_embedder.encode(texts)


def same_ranking(got, want, what: str) -> None:
    assert [r.answer.answer_id for r in got.results] == [r.answer.answer_id for r in want.results], what
    np.testing.assert_allclose([r.score for r in got.results], [r.score for r in want.results], atol=1e-5, err_msg=what)
    np.testing.assert_allclose([r.confidence for r in got.results], [r.confidence for r in want.results], atol=1e-5)
    assert [r.highlight for r in got.results] == [r.highlight for r in want.results], what
    assert got.low_confidence == want.low_confidence, what


@pytest.mark.parametrize("fusion", ["learned", "weighted", "rrf"])
def test_the_sublinear_path_ranks_as_the_full_scan_on_the_real_corpus(real_index_dir, worries, fusion):
    index = load_index(real_index_dir)
    config = RankingConfig(fusion=fusion)
    ranker = Ranker(index, config)
    reference = Ranker(index, config, extractor=FullScanExtractor(index, config.counts))
    texts, vectors = worries
    compared = 0
    for n, (text, vector) in enumerate(zip(texts, vectors)):
        topics = TOPICS[n % len(TOPICS)]
        for k, per_question in ((10, None), (50, None), (5, 2)):
            same_ranking(ranker.rank(text, vector, k, topics, per_question=per_question),
                         reference.rank(text, vector, k, topics, per_question=per_question), f"{text!r} {topics} {k}")
            compared += 1
        if n % 4 == 0:
            families = (["suicide"], ["self_harm"], ["violence"])[n % 3]
            level = ("high", "concern")[n // 4 % 2]  # within the situation's questions, and the whole index
            same_ranking(rank_for_crisis(ranker, text, vector, 10, level, families, n % 2 == 0),
                         rank_for_crisis(reference, text, vector, 10, level, families, n % 2 == 0),
                         f"crisis {level} {text!r}")
            compared += 1
    assert compared > 400


def test_sources_run_side_by_side_rank_exactly_as_in_turn(real_index_dir, worries):
    """The parallel extractor (what a large index uses, retriever/parallel.py) computes the same
    numbers, only at the same time: identical answers, scores and highlights, bit for bit."""
    index = load_index(real_index_dir)
    config = RankingConfig()
    in_turn = Ranker(index, config, extractor=SignalExtractor(index, config.counts, parallel=False))
    side_by_side = Ranker(index, config, extractor=SignalExtractor(index, config.counts, parallel=True))
    assert not Ranker(index, config).extractor.parallel  # CounselChat size runs in turn by default
    texts, vectors = worries
    for n, (text, vector) in enumerate(zip(texts, vectors)):
        topics = TOPICS[n % len(TOPICS)]
        want = summary(in_turn.rank(text, vector, 10, topics))
        assert in_turn.extractor.lexical_ahead(text, topics) is None
        assert summary(side_by_side.rank(text, vector, 10, topics)) == want, text
        # BM25 started before the vector was known (as SearchService does on a large index)
        ahead = side_by_side.extractor.lexical_ahead(text, topics)
        assert summary(side_by_side.rank(text, vector, 10, topics, lexical_ahead=ahead)) == want, text
        # started for other topics: not used, the ranking is still this query's
        other = side_by_side.extractor.lexical_ahead(text, None if topics else ["depression"])
        assert summary(side_by_side.rank(text, vector, 10, topics, lexical_ahead=other)) == want, text


def summary(ranking):
    return [(r.answer.answer_id, r.score, r.signals, r.highlight) for r in ranking.results]
