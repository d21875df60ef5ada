"""The catalog (index/catalog.py): records written to SQLite and read back by position and id, the
same as the in-memory catalog, read-only, one connection per thread, and a format it checks."""
import sqlite3
import threading

import pytest

from index.catalog import CatalogError, MemoryCatalog, SqliteCatalog, write_catalog
from index.corpus import Answer
from index.passages import Passage, vector_id
from index.questions import questions_of


def records():
    answers = [Answer(f"a{i}", f"q{i % 3}", f"Title {i % 3}", f"Body {i % 3}", f"https://x/q{i % 3}",
                      ["anxiety"] if i % 2 else ["grief", "sleep"], f"Therapist {i}", f"https://x/t{i}",
                      f"answer text {i}", f"<p>answer text {i}</p>" if i % 2 else f"answer text {i}", i, 10 * i,
                      credentials="LCSW" if i % 3 else "", content_hash=f"h{i}", flags=["lethal_means"] if i == 4 else [])
               for i in range(7)]
    questions = questions_of(answers)
    passages = [Passage(vector_id(f"{a.answer_id}#{n}"), a.answer_id, n, 0, 6, f"piece {n} of {a.answer_id}")
                for a in answers for n in range(1 + int(a.answer_id[1:]) % 2)]
    return answers, questions, passages


@pytest.fixture
def catalogs(tmp_path):
    answers, questions, passages = records()
    write_catalog(tmp_path / "catalog.sqlite", answers, questions, passages,
                  {"answers": [("answer", 0), ("text", 1)], "questions": [("titl", 0)]})
    return SqliteCatalog(tmp_path / "catalog.sqlite"), MemoryCatalog(answers, questions, passages), (answers, questions, passages)


def test_records_read_back_by_position_and_id_equal_what_was_written(catalogs):
    on_disk, in_memory, (answers, questions, passages) = catalogs
    for catalog in (on_disk, in_memory):
        assert catalog.count("answers") == 7 and catalog.count("questions") == 3 and catalog.count("passages") == len(passages)
        assert catalog.answers_at([6, 0, 3]) == [answers[6], answers[0], answers[3]]
        assert catalog.answers_at(range(7)) == answers  # the original text comes back whether or not it differed
        assert catalog.questions_at([2, 0]) == [questions[2], questions[0]]
        assert catalog.answer_position("a5") == 5 and catalog.answer_position("nope") is None
        assert catalog.question_position("q1") == 1 and catalog.question_position("nope") is None
        assert catalog.passages_at(range(len(passages))) == passages
        assert catalog.passages_by_id([passages[3].passage_id, 12345]) == [passages[3], None]
        assert catalog.passages_of("a1") == [p for p in passages if p.answer_id == "a1"]
        assert catalog.passages_of("nope") == []


def test_lexicon_words_are_looked_up_in_order_with_none_for_unknown_ones(catalogs):
    on_disk, _, _ = catalogs
    assert on_disk.lookup("answers", ["text", "zebra", "answer", "text"]) == [1, None, 0, 1]
    assert on_disk.lookup("questions", ["answer"]) == [None]


def test_the_catalog_is_read_only_and_every_thread_gets_its_own_connection(catalogs):
    on_disk, _, (answers, _, _) = catalogs
    with pytest.raises(sqlite3.OperationalError):
        on_disk._connection().execute("DELETE FROM answers")
    seen = []
    threads = [threading.Thread(target=lambda: seen.append((on_disk.answers_at([2])[0], id(on_disk._connection()))))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answer for answer, _ in seen] == [answers[2]] * 4
    assert len({connection for _, connection in seen}) == 4


def test_a_missing_catalog_or_one_of_another_format_is_refused_with_a_sentence(tmp_path, catalogs):
    with pytest.raises(CatalogError, match="no catalog"):
        SqliteCatalog(tmp_path / "missing.sqlite")
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(CatalogError, match="catalog format 0, this program reads 1; rebuild the index"):
        SqliteCatalog(other)
