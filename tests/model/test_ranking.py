"""Ranking on the small corpus: each signal does what it claims."""
import pytest

from index.loader import load_index
from retriever.ranking import Ranker, RankingConfig


def rank(index_dir, embedder, query, k=10, topics=None, **config):
    ranker = Ranker(load_index(index_dir), RankingConfig(**config))
    return ranker.rank(query, embedder.encode([query])[0], k, topics).results


def test_the_matching_question_comes_first(small_index_dir, embedder):
    results = rank(small_index_dir, embedder, "i always end up sobbing in my counselors office, is that weird")
    assert results[0].answer.question_id == "is-crying-in-therapy-normal"
    results = rank(small_index_dir, embedder, "can't fall asleep at night")
    assert results[0].answer.question_id == "how-do-i-sleep-better"


def test_answers_are_grouped_under_their_question(small_index_dir, embedder):
    results = rank(small_index_dir, embedder, "trouble sleeping because I worry")
    questions = [r.answer.question_id for r in results]
    firsts = [questions.index(q) for q in dict.fromkeys(questions)]
    assert all(questions[i] == questions[i + 1] or i + 1 in firsts for i in range(len(questions) - 1))


def test_topic_filter_only_returns_that_topic(small_index_dir, embedder):
    results = rank(small_index_dir, embedder, "crying", topics=["grief-and-loss"])
    assert results and all("grief-and-loss" in r.answer.topics for r in results)


def test_k_limits_results_and_duplicates_are_not_repeated(small_index_dir, embedder):
    results = rank(small_index_dir, embedder, "therapy", k=3)
    assert len(results) == 3
    texts = [r.answer.answer for r in rank(small_index_dir, embedder, "therapy")]
    assert len(texts) == len(set(texts)) == 6


def test_bm25_finds_a_rare_word_no_dense_source_would(small_index_dir, embedder):
    """Each source returns its own candidates: the one answer that says "caffeine" is among them."""
    from retriever.signals import SignalExtractor

    extractor = SignalExtractor(load_index(small_index_dir))
    candidates = extractor.candidates("caffeine", embedder.encode(["caffeine"])[0])
    best = int(candidates.positions[candidates.values["bm25_a"].argmax()])
    assert "caffeine" in extractor.index.answers[best].answer
    assert candidates.values["bm25_a"].max() == 1.0  # normalised by the best candidate


def test_highlight_is_the_passage_closest_to_the_worry(small_index_dir, embedder):
    results = rank(small_index_dir, embedder, "will my counselor judge me for crying")
    top = results[0]
    assert top.highlight is not None
    assert top.answer.answer[top.highlight.start:top.highlight.end]


def test_each_result_has_a_confidence_and_a_poor_match_is_flagged(small_index_dir, embedder):
    ranker = Ranker(load_index(small_index_dir), RankingConfig())
    good = ranker.rank("is it normal to cry in therapy", embedder.encode(["is it normal to cry in therapy"])[0], 5)
    assert all(0.0 <= r.confidence <= 1.0 for r in good.results)
    assert good.results[0].confidence > 0.5 and not good.low_confidence
    worry = "my car makes a grinding noise when I brake"
    poor = ranker.rank(worry, embedder.encode([worry])[0], 5)
    assert poor.low_confidence
    assert max(r.confidence for r in poor.results) < good.results[0].confidence


def _cosines(embedder, query, texts):
    """The query as a query, the texts as an index embeds them (documents)."""
    query_vector = embedder.encode([query])[0]
    return [float(query_vector @ v) for v in embedder.encode_documents(texts)]


def test_every_candidate_gets_every_signal_exactly_whichever_source_found_it(small_index_dir, embedder):
    """q_title / q_body / q_combined are the worry's cosines to that question's title, body and both;
    q_best their maximum; a_best and a_mean the best and mean cosine over the answer's passages."""
    index = load_index(small_index_dir)
    question = index.question_by_id["how-do-i-sleep-better"]
    worry = "how can I sleep better"
    title, body, combined = _cosines(embedder, worry, [question.title, question.text, question.embedding_text])
    result = next(r for r in rank(small_index_dir, embedder, worry) if r.answer.question_id == question.question_id)
    assert abs(result.signals["q_title"] - title) < 1e-4 and abs(result.signals["q_body"] - body) < 1e-4
    assert abs(result.signals["q_combined"] - combined) < 1e-4
    assert result.signals["q_best"] == pytest.approx(max(title, body, combined), abs=1e-6)
    vector = embedder.encode([worry])[0]
    passages = index.passages_by_answer[result.answer.answer_id]
    cosines = index.passage_store.get_vectors([p.passage_id for p in passages]) @ vector
    assert result.signals["a_best"] == pytest.approx(float(cosines.max()), abs=1e-5)
    assert result.signals["a_mean"] == pytest.approx(float(cosines.mean()), abs=1e-5)


def test_the_topic_filter_applies_inside_every_source(small_index_dir, embedder):
    from retriever.signals import SignalExtractor

    extractor = SignalExtractor(load_index(small_index_dir))
    worry = "how can I sleep better"
    candidates = extractor.candidates(worry, embedder.encode([worry])[0], ["grief-and-loss"])
    assert len(candidates.positions) and all("grief-and-loss" in extractor.index.answers[p].topics
                                              for p in candidates.positions)


def test_results_can_be_limited_per_question(small_index_dir, embedder):
    ranker = Ranker(load_index(small_index_dir), RankingConfig())
    worry = "trouble sleeping because I worry"
    results = ranker.rank(worry, embedder.encode([worry])[0], 2, per_question=1).results
    assert len(results) == 2 and len({r.answer.question_id for r in results}) == 2


def test_answers_carrying_an_excluded_tag_are_left_out(small_index_dir, embedder):
    from dataclasses import replace

    from index.loader import LoadedIndex

    loaded = load_index(small_index_dir)
    worry = "how can I sleep better"
    vector = embedder.encode([worry])[0]
    first = Ranker(loaded, RankingConfig()).rank(worry, vector, 10).results[0].answer
    # the same index with that answer tagged (tags are read from the index's tables, not from returned records)
    answers = [replace(a, flags=["lethal_means"]) if a.answer_id == first.answer_id else a for a in loaded.answers]
    index = LoadedIndex(loaded.path, loaded.manifest, answers, list(loaded.questions), list(loaded.passages),
                        loaded.question_store, loaded.passage_store, loaded.question_views)
    kept = Ranker(index, RankingConfig()).rank(worry, vector, 10, exclude_flags=("lethal_means",)).results
    assert first.answer_id not in {r.answer.answer_id for r in kept} and kept


@pytest.mark.parametrize("fusion", ["learned", "weighted", "rrf"])
def test_every_fusion_mode_ranks_the_matching_question_first(small_index_dir, embedder, fusion):
    results = rank(small_index_dir, embedder, "can't fall asleep at night", fusion=fusion)
    assert results[0].answer.question_id == "how-do-i-sleep-better"
