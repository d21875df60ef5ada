"""Reading corpora: both formats, cleaning, duplicates, stable ids, and clear errors."""
import pytest

from index.corpus import CorpusError, load_corpus
from tests.conftest import SMALL_ROWS, write_csv, write_jsonl


def test_csv_is_read_cleaned_and_exact_duplicates_merged(small_csv):
    corpus = load_corpus(small_csv)
    assert corpus.rows_read == len(SMALL_ROWS)
    assert corpus.duplicates_merged == 1
    assert len(corpus.answers) == len(SMALL_ROWS) - 1
    assert corpus.question_count == 4
    first = corpus.answers[0]
    assert first.question_id == "is-crying-in-therapy-normal"
    assert "common. Tears" in first.answer and "\u00a0" not in first.answer
    assert "common.Tears" in first.answer_original
    assert first.therapist == "Ana Lima" and first.credentials == "Licensed Counselor"  # glued in the data
    assert first.topics == ["counseling-fundamentals"] and first.upvotes == 3


def test_jsonl_with_the_same_fields_gives_the_same_answers(tmp_path, small_csv):
    from_csv = load_corpus(small_csv)
    from_jsonl = load_corpus(write_jsonl(tmp_path / "small.jsonl", SMALL_ROWS))
    assert [a.to_dict() for a in from_jsonl.answers] == [a.to_dict() for a in from_csv.answers]


def test_answer_ids_are_stable_and_survive_an_edit_of_the_text(tmp_path, small_rows):
    before = {a.answer_id: a for a in load_corpus(write_csv(tmp_path / "a.csv", small_rows)).answers}
    small_rows[0]["answerText"] = "An edited answer."
    after = {a.answer_id: a for a in load_corpus(write_csv(tmp_path / "b.csv", small_rows)).answers}
    assert before.keys() == after.keys()
    changed = [i for i in before if before[i].content_hash != after[i].content_hash]
    assert len(changed) == 1 and after[changed[0]].answer == "An edited answer."


def test_duplicate_under_two_topics_keeps_both(tmp_path, small_rows):
    twin = dict(small_rows[3], topic="anxiety")
    corpus = load_corpus(write_csv(tmp_path / "t.csv", small_rows + [twin]))
    merged = [a for a in corpus.answers if a.answer == corpus.answers[2].answer]
    assert len(merged) == 1 and merged[0].topics == ["sleep-improvement", "anxiety"]


def test_empty_answers_are_skipped_and_counted(tmp_path, small_rows):
    small_rows.append(dict(small_rows[0], answerText="  \u00a0 "))
    corpus = load_corpus(write_csv(tmp_path / "e.csv", small_rows))
    assert corpus.empty_answers == 1


def test_a_missing_column_names_it(tmp_path, small_rows):
    for row in small_rows:
        del row["answerText"]
    with pytest.raises(CorpusError, match="missing column.*answerText"):
        load_corpus(write_csv(tmp_path / "m.csv", small_rows))


def test_a_bad_number_names_file_line_and_field(tmp_path, small_rows):
    small_rows[2]["upvotes"] = "lots"
    path = write_csv(tmp_path / "n.csv", small_rows)
    with pytest.raises(CorpusError, match=r"n\.csv, line 4, field upvotes: not a number"):
        load_corpus(path)
    corpus = load_corpus(path, skip_bad_rows=True)
    assert len(corpus.bad_rows) == 1 and "line 4" in corpus.bad_rows[0]


def test_invalid_json_line_is_reported(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"questionTitle": "t", "questionLink": "x/y", "answerText": "a"}\n{not json\n')
    with pytest.raises(CorpusError, match="line 2: invalid JSON"):
        load_corpus(path)


def test_missing_file_and_non_utf8_and_empty_corpus_are_clear(tmp_path):
    with pytest.raises(CorpusError, match="no such file"):
        load_corpus(tmp_path / "nope.csv")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"questionTitle,questionLink,answerText\n\xff\xfe,\xff,\xff\n")
    with pytest.raises(CorpusError, match="not UTF-8"):
        load_corpus(binary)
    header_only = tmp_path / "h.csv"
    header_only.write_text("questionTitle,questionLink,answerText\n")
    with pytest.raises(CorpusError, match="no answers"):
        load_corpus(header_only)
