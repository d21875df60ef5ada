"""scripts/finetune.py builds its training data from the corpus alone, and never lets an anchor be
its own in-batch negative."""
import random

from index.corpus import load_corpus
from index.loader import questions_of
from scripts.finetune import batches, question_splits, training_pairs


def test_pairs_are_title_to_body_and_question_to_one_of_its_answers(small_csv):
    corpus = load_corpus(small_csv)
    questions = questions_of(corpus.answers)
    answers = {a.answer_id: a for a in corpus.answers}
    pairs = training_pairs(questions, answers, random.Random(0))
    assert len(pairs) == 2 * len(questions)
    for question in questions:
        assert question.view_texts() in pairs
        own = {answers[i].answer for i in question.answer_ids}
        assert any(anchor == question.embedding_text and positive in own for anchor, positive in pairs)


def test_a_batch_never_repeats_a_text(small_csv):
    corpus = load_corpus(small_csv)
    questions = questions_of(corpus.answers)
    answers = {a.answer_id: a for a in corpus.answers}
    pairs = training_pairs(questions, answers, random.Random(0)) * 3  # repeated pairs must be spread out
    for batch in batches(pairs, 4, random.Random(1)):
        texts = [t for pair in batch for t in pair]
        assert len(texts) == len(set(texts))


def test_splits_are_read_by_question_key(small_csv):
    splits = question_splits(small_csv)
    assert splits["how-do-i-sleep-better"] == "train"
