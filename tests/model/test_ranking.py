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


def _cosines(embedder, query, texts):
    """The query as a query, the texts as an index embeds them (documents)."""
    query_vector = embedder.encode([query])[0]
    return [float(query_vector @ v) for v in embedder.encode_documents(texts)]


def test_a_question_is_matched_by_its_closest_view_title_or_body(small_index_dir, embedder):
    """question_views=title,body: the question signal is the worry's best cosine to the title alone
    or to the body alone (a short worry is diluted by a title + body vector); combined is the old
    title + body vector."""
    index = load_index(small_index_dir)
    question = index.question_by_id["how-do-i-sleep-better"]
    worry = "how can I sleep better"
    title, body, combined = _cosines(embedder, worry, [question.title, question.text, question.embedding_text])
    signal = {views: next(r.signals["question_dense"] for r in rank(small_index_dir, embedder, worry, question_views=views)
                          if r.answer.question_id == question.question_id)
              for views in ("title,body", "title", "body", "combined", "title,body,combined")}
    assert abs(signal["title,body"] - max(title, body)) < 1e-4
    assert abs(signal["title"] - title) < 1e-4 and abs(signal["body"] - body) < 1e-4
    assert abs(signal["combined"] - combined) < 1e-4
    assert abs(signal["title,body,combined"] - max(title, body, combined)) < 1e-4
    assert signal["title,body"] > signal["combined"]  # this worry reads like the title, not the body


def test_question_views_respect_the_topic_filter(small_index_dir, embedder):
    results = rank(small_index_dir, embedder, "how can I sleep better", topics=["grief-and-loss"],
                   question_views="title,body")
    assert results and all("grief-and-loss" in r.answer.topics for r in results)


def test_an_index_without_separate_views_is_matched_as_title_and_body(small_index_dir, embedder, tmp_path):
    """Older indexes have no question_views.npy: the ranker falls back to the combined vectors."""
    import shutil

    from index.layout import Manifest, current_version_dir
    from index.loader import QUESTION_VIEWS_FILE

    old = tmp_path / "old"
    shutil.copytree(current_version_dir(small_index_dir), old)
    manifest = Manifest.read(old)
    del manifest.files[QUESTION_VIEWS_FILE]
    manifest.write(old)
    (old / QUESTION_VIEWS_FILE).unlink()
    index = load_index(old)
    assert index.question_views is None
    worry = "how can I sleep better"
    fallback = rank(old, embedder, worry, question_views="title,body")
    combined = rank(small_index_dir, embedder, worry, question_views="combined")
    assert [(r.answer.answer_id, round(r.score, 5)) for r in fallback] == \
        [(r.answer.answer_id, round(r.score, 5)) for r in combined]


@pytest.fixture(scope="module")
def short_passage_index_dir(small_corpus_csv, embedder, tmp_path_factory):
    """The small corpus split into 12-token passages, so every answer has several."""
    from index.builder import build_index
    from index.corpus import load_corpus

    directory = tmp_path_factory.mktemp("short-passages") / "index"
    build_index(load_corpus(small_corpus_csv), embedder, directory, model_name="all-MiniLM-L6-v2", passage_tokens=12)
    return directory


def test_the_answer_signal_blends_the_best_and_the_mean_passage_cosine(short_passage_index_dir, embedder):
    """answer_passage_mean=w: answer_dense = (best passage cosine + w x mean passage cosine) / (1 + w),
    so an answer on the worry throughout beats one that touches it in a single passage; 0 = best only."""
    small_index_dir = short_passage_index_dir
    index = load_index(small_index_dir)
    worry = "how can I sleep better"
    vector = embedder.encode([worry])[0]
    longest = max(index.answers, key=lambda a: len(index.passages_by_answer[a.answer_id]))
    passages = index.passages_by_answer[longest.answer_id]
    assert len(passages) > 1
    cosines = index.passage_store.get_vectors([p.passage_id for p in passages]) @ vector
    only_answers = dict(question_dense=0, question_lexical=0, answer_lexical=0, prior=0, group_by_question=False)
    for weight in (0.0, 0.3, 1.0):
        results = rank(small_index_dir, embedder, worry, answer_passage_mean=weight, **only_answers)
        signal = next(r.signals["answer_dense"] for r in results if r.answer.answer_id == longest.answer_id)
        assert abs(signal - (cosines.max() + weight * cosines.mean()) / (1 + weight)) < 1e-4
