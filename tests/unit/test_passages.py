"""Splitting answers into passages that fit the model's window."""
from index.passages import split_answer, vector_id


def words(texts):
    return [len(t.split()) for t in texts]


def test_short_answer_is_one_passage_covering_it():
    text = "One. Two three. Four."
    passages = split_answer("a1", text, words, max_tokens=20)
    assert len(passages) == 1 and (passages[0].start, passages[0].end) == (0, len(text))


def test_long_answer_is_packed_by_sentences_within_the_limit_and_loses_nothing():
    text = " ".join(f"Sentence number {i} has five." for i in range(20))
    passages = split_answer("a1", text, words, max_tokens=12)
    assert len(passages) == 10
    assert all(len(p.text.split()) <= 12 for p in passages)
    assert " ".join(p.text for p in passages) == text
    assert all(text[p.start:p.end] == p.text for p in passages)


def test_an_overlong_sentence_is_cut_at_word_boundaries():
    text = " ".join(f"w{i}" for i in range(100))
    passages = split_answer("a1", text, words, max_tokens=10)
    assert all(len(p.text.split()) <= 10 for p in passages)
    assert " ".join(p.text for p in passages) == text


def test_passage_ids_are_stable_and_distinct():
    a = split_answer("a1", "One. Two.", words, max_tokens=1)
    b = split_answer("a1", "One. Two.", words, max_tokens=1)
    assert [p.passage_id for p in a] == [p.passage_id for p in b]
    assert len({p.passage_id for p in a}) == 2
    assert 0 <= vector_id("x") < 2**63
