"""The ranking tables (index/tables.py): what the ranker used to compute from every record at start-up,
computed once, written, mapped back read-only, and the same either way."""
import math

import numpy as np
import pytest

from index.tables import RankingTables, compute_tables, gather, has_any, lookup_positions
from tests.unit.test_catalog import records


def test_the_tables_hold_what_ranking_computed_from_the_records():
    answers, questions, passages = records()
    tables = compute_tables(answers, questions, passages)
    upvotes = np.array([a.upvotes for a in answers], dtype=np.float64)
    assert np.array_equal(tables.answer_prior, np.log1p(upvotes) / math.log1p(upvotes.max()))
    assert np.array_equal(tables.answer_length, np.log1p([len(a.answer) for a in answers]))
    assert tables.answer_question.tolist() == [int(a.question_id[1:]) for a in answers]
    assert tables.question_answer_count.tolist() == pytest.approx(np.log1p([3, 2, 2]).tolist())
    assert [tables.answer_id_rank[i] for i in range(7)] == sorted(range(7), key=lambda i: answers[i].answer_id)
    for n, answer in enumerate(answers):
        ids, counts = tables.passages_of(np.array([n]))
        assert ids.tolist() == [p.passage_id for p in passages if p.answer_id == answer.answer_id]
    assert tables.answers_of_questions(np.array([0, 2])).tolist() == [0, 2, 3, 5, 6]
    assert tables.topics == {"grief": 4, "sleep": 4, "anxiety": 3}
    assert tables.questions_with_flag("lethal_means").tolist() == [1] and not len(tables.questions_with_flag("x"))
    grief = tables.topic_bits(["grief"])
    assert has_any(tables.answer_topics, grief).tolist() == [i % 2 == 0 for i in range(7)]
    assert tables.topic_bits(["nothing"]) is None


def test_equal_texts_get_equal_keys_whatever_their_case_and_spacing():
    answers, questions, passages = records()
    answers[1].answer, answers[2].answer = "Same  Text", "same text"
    keys = compute_tables(answers, questions, passages).answer_text_key
    assert keys[1] == keys[2] and len(set(keys.tolist())) == 6


def test_written_tables_are_mapped_back_equal(tmp_path):
    tables = compute_tables(*records())
    files = tables.write(tmp_path)
    assert all((tmp_path / f).is_file() for f in files)
    opened = RankingTables.open(tmp_path)
    for name in RankingTables._array_names():
        assert np.array_equal(getattr(opened, name), getattr(tables, name)), name
        assert not getattr(opened, name).flags.writeable or not getattr(opened, name).size
    assert opened.names == tables.names


def test_gather_and_lookup_positions():
    values = np.arange(10) * 10
    assert gather(values, np.array([7, 0, 2]), np.array([2, 0, 3])).tolist() == [70, 80, 20, 30, 40]
    assert gather(values, np.array([1]), np.array([0])).tolist() == []
    sorted_ids = np.array([3, 8, 20])
    assert lookup_positions(sorted_ids, np.array([0, 1, 2]), np.array([20, 4, 3, -1])).tolist() == [2, -1, 0, -1]
    assert lookup_positions(np.zeros(0, np.int64), np.zeros(0, np.int64), np.array([1])).tolist() == [-1]
