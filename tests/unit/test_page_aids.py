"""The page's aids without a model: suggestions (and what they never say), the speller, facet counts
and related questions, on small tables written here."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from index.store import FaissStore
from index.tables import bit_masks
from retriever.facets import TopicFacets
from retriever.related import RelatedQuestions
from retriever.spelling import Speller
from retriever.suggest import SuggestionIndex, looks_like_crisis


def question(qid: str, title: str, answers: int = 1):
    return SimpleNamespace(question_id=qid, title=title, answer_ids=[f"{qid}-{n}" for n in range(answers)])


QUESTIONS = [
    question("panic", "How can I stop panic attacks?", 4),
    question("sleep", "How do I sleep better when I worry?", 2),
    question("anxious", "Why am I anxious at work?", 3),
    question("anxiety", "Do I have anxiety?", 1),
    question("method", "How many pills is an overdose?", 5),          # method wording: never suggested
    question("crisis", "I want to kill myself", 5),                   # a crisis statement: never suggested
    question("bridge", "I think about jumping off a bridge", 2),
]


@pytest.fixture(scope="module")
def suggestions():
    return SuggestionIndex(QUESTIONS)


def titles(found) -> list[str]:
    return [s.title for s in found.suggestions]


def test_titles_that_begin_with_the_words_typed_come_first(suggestions):
    assert titles(suggestions.suggest("how do"))[0] == "How do I sleep better when I worry?"
    assert titles(suggestions.suggest("how")) == ["How can I stop panic attacks?", "How do I sleep better when I worry?"]
    assert titles(suggestions.suggest("anx")) == ["Why am I anxious at work?", "Do I have anxiety?"], "earliest match first"
    assert titles(suggestions.suggest("panic att")) == ["How can I stop panic attacks?"]
    assert titles(suggestions.suggest("stop pan")) == ["How can I stop panic attacks?"], "any word order of the title"


def test_nothing_below_two_letters_nor_for_words_no_title_has(suggestions):
    assert titles(suggestions.suggest("h")) == [] and titles(suggestions.suggest("  ")) == []
    assert titles(suggestions.suggest("zebra")) == []
    assert len(suggestions.suggest("i", 10).suggestions) == 0
    assert len(suggestions.lookup("how", limit=1)) == 1


def test_method_and_crisis_titles_are_never_suggested(suggestions):
    ids = {s.question_id for s in suggestions.entries}
    assert {"method", "crisis", "bridge"}.isdisjoint(ids)
    for prefix in ("how many", "pills", "overd", "jump", "bridge", "i think about"):
        assert all("overdose" not in t and "bridge" not in t for t in titles(suggestions.suggest(prefix)))


@pytest.mark.parametrize("prefix", ["i want to kill mys", "i want to kill myself", "suicid", "i want to di",
                                    "i feel like ending my li", "kms", "I'm going to overd"])
def test_a_crisis_looking_prefix_gets_the_help_line_instead(suggestions, prefix):
    assert looks_like_crisis(prefix)
    found = suggestions.suggest(prefix)
    assert found.crisis and found.suggestions == []


@pytest.mark.parametrize("prefix", ["how do i st", "panic", "i want to d", "this job is killing me", "sleep"])
def test_ordinary_prefixes_are_not_a_crisis(prefix):
    assert not looks_like_crisis(prefix)


CORPUS = ["I feel anxiety every day and my anxiety gets worse at night.",
          "My relationship with my partner is hard; the relationship feels distant.",
          "Therapy can benefit you. The benefit of therapy shows over time, a benefit worth it.",
          "Depression and depression again. I benifit from walks."] * 30


@pytest.fixture(scope="module")
def speller():
    return Speller(CORPUS)


@pytest.mark.parametrize("typed, corrected", [
    ("anxeity", "anxiety"),                                   # a transposition
    ("my relashionship is falling apart", "my relationship is falling apart"),  # two edits
    ("Anxeity at night", "Anxiety at night"),                 # a capital stays
    ("depresion, again!", "depression, again!"),              # punctuation stays
])
def test_misspelled_words_are_corrected_from_the_corpus_words(speller, typed, corrected):
    assert speller.correct(typed) == corrected


def test_known_words_short_words_and_unknown_words_far_from_any_stay(speller):
    assert speller.correct("my anxiety at night") is None
    assert speller.correct("i am ok") is None
    assert speller.correct("xylophone") is None


def test_a_rare_word_is_corrected_only_towards_a_far_more_common_one():
    speller = Speller(["benefit " * 200 + "benifit", "walks walks"])
    assert speller.correct("benifit") == "benefit"
    rare = Speller(["benefit " * 10 + "benifit"])
    assert rare.correct("benifit") is None, "10 to 1 is not enough to call a corpus word a typo"


def test_facets_count_questions_and_answers_per_topic_over_the_positions_only():
    # answers 0,1 -> question 0 (anxiety, sleep); answer 2 -> question 1 (anxiety); answer 3 -> question 2 (grief)
    topics = ["anxiety", "sleep", "grief"]
    facets = TopicFacets(topics, bit_masks([["anxiety"], ["anxiety", "sleep"], ["anxiety"], ["grief"]], topics),
                         np.array([0, 0, 1, 2]))
    counted = {f.topic: (f.questions, f.answers) for f in facets.count(np.array([0, 1, 2]))}
    assert counted == {"anxiety": (2, 3), "sleep": (1, 1)}
    assert [f.topic for f in facets.count(np.array([0, 1, 2, 3]))] == ["anxiety", "grief", "sleep"]
    assert facets.count(np.zeros(0, np.int64)) == []


def related_over(vectors: np.ndarray) -> RelatedQuestions:
    """Questions at positions 0.. with vector ids 100.. in a flat store, as an index holds them."""
    store = FaissStore(vectors.shape[1])
    ids = np.arange(100, 100 + len(vectors), dtype=np.int64)
    store.add(ids, vectors, [[] for _ in ids])
    return RelatedQuestions(store, ids, ids, np.arange(len(vectors), dtype=np.int64))


def test_related_questions_are_the_nearest_others_by_vector():
    vectors = np.array([[1, 0], [0.9, 0.436], [0, 1], [0.6, 0.8]], dtype=np.float32)
    related = related_over(vectors)
    first, third = related.of([0, 2], limit=2)
    assert [r.position for r in first] == [1, 3] and [r.position for r in third] == [3, 1]
    assert first[0].similarity == pytest.approx(0.9)
    assert related.of([0], limit=10)[0][-1].position == 2, "at most all the others, never itself"
    assert related_over(vectors[:1]).of([0]) == [[]]
