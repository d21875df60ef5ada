"""Reading judged worries and the metrics of the evaluation (no model needed)."""
import pytest

from retriever.evaluation import first_appearances, ndcg, read_labelled_queries, read_qrels


def test_labelled_queries_are_read_with_their_question_keys(tmp_path):
    path = tmp_path / "q.tsv"
    path.write_text("# comment\ncan't sleep at night\thow-do-i-sleep-better, other-key\n\n"
                    "my dog died\tmy-dog-died\n", encoding="utf-8")
    queries = read_labelled_queries(path)
    assert [q.text for q in queries] == ["can't sleep at night", "my dog died"]
    assert queries[0].relevant == {"how-do-i-sleep-better", "other-key"}


@pytest.mark.parametrize("line", ["no tab here\n", "\tkey\n", "worry\t\n", "worry\t , \n"])
def test_a_malformed_line_is_reported_with_its_number(tmp_path, line):
    path = tmp_path / "q.tsv"
    path.write_text("fine worry\tkey\n" + line, encoding="utf-8")
    with pytest.raises(ValueError, match=r"q.tsv:2"):
        read_labelled_queries(path)


def test_qrels_keep_negatives_and_folds(tmp_path):
    qrels, folds = tmp_path / "qrels.tsv", tmp_path / "folds.tsv"
    qrels.write_text("my dog died\tpet-loss\t1\nmy dog died\tcat-allergy\t0\ncan't sleep\tinsomnia\t0\n")
    folds.write_text("# header\nmy dog died\t0\ncan't sleep\t3\n")
    worries = {w.text: w for w in read_qrels(qrels, folds)}
    assert worries["my dog died"].judged == {"pet-loss": 1, "cat-allergy": 0}
    assert worries["my dog died"].relevant == {"pet-loss"} and worries["my dog died"].fold == 0
    assert worries["can't sleep"].relevant == frozenset() and worries["can't sleep"].fold == 3


@pytest.mark.parametrize("line", ["worry\tkey\n", "worry\tkey\t2\n", "\tkey\t1\n"])
def test_a_malformed_judgement_is_reported_with_its_number(tmp_path, line):
    path = tmp_path / "qrels.tsv"
    path.write_text("fine\tkey\t1\n" + line)
    with pytest.raises(ValueError, match=r"qrels.tsv:2"):
        read_qrels(path)


def test_ndcg_counts_a_repeated_label_once_and_the_ideal_counts_every_relevant_one():
    assert ndcg(["a", "b"], {"a", "b"}, 10) == pytest.approx(1.0)
    assert ndcg(["a", "a", "b"], {"a", "b"}, 10) < 1.0
    assert ndcg(["x", "a"], {"a"}, 10) == pytest.approx(1 / 1.5849625, rel=1e-6)
    assert ndcg(["x"], set(), 10) == 0.0


def test_question_level_order_is_first_appearance():
    assert first_appearances(["q1", "q1", "q2", "q1", "q3"]) == ["q1", "q2", "q3"]
