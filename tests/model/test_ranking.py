"""Ranking on the small corpus: each signal does what it claims."""
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


def test_lexical_signal_alone_finds_a_rare_word(small_index_dir, embedder):
    results = rank(small_index_dir, embedder, "caffeine", question_dense=0, answer_dense=0, question_lexical=0,
                   answer_lexical=1, prior=0, group_by_question=False)
    assert "caffeine" in results[0].answer.answer


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


def test_the_upvote_prior_only_breaks_ties(small_index_dir, embedder):
    """Two answers to the sleep question differ in upvotes (0 and 5): with relevance signals equal
    (question signals only), the upvoted one comes first; with the prior off, the order is by id."""
    query = "how do I sleep better"
    vector = embedder.encode([query])[0]
    only_question = dict(answer_dense=0, answer_lexical=0, question_lexical=0)
    with_prior = rank(small_index_dir, embedder, query, k=2, **only_question)
    assert [r.answer.upvotes for r in with_prior] == [5, 0]
    ranker = Ranker(load_index(small_index_dir), RankingConfig(**only_question))
    top = ranker.rank(query, vector, 10).results
    scores = [r.score for r in top]
    # the prior never lifts an answer above one whose question matches better
    sleep = [r for r in top if r.answer.question_id == "how-do-i-sleep-better"]
    others = [r for r in top if r.answer.question_id != "how-do-i-sleep-better"]
    assert min(r.score for r in sleep) > max(r.score for r in others)
    assert scores == sorted(scores, reverse=True)
