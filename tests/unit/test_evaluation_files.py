"""Reading labelled worries and the benchmark systems' configurations (no model needed)."""
import pytest

from retriever.evaluation import (answer_text_only, automatic_systems, labelled_systems, read_labelled_queries)
from retriever.ranking import RankingConfig


def test_labelled_queries_are_read_with_their_question_keys(tmp_path):
    path = tmp_path / "q.tsv"
    path.write_text("# comment\ncan't sleep at night\thow-do-i-sleep-better, other-key\n\n"
                    "my dog died\tmy-dog-died\n", encoding="utf-8")
    queries = read_labelled_queries(path)
    assert [q.text for q in queries] == ["can't sleep at night", "my dog died"]
    assert queries[0].relevant_questions == {"how-do-i-sleep-better", "other-key"}


@pytest.mark.parametrize("line", ["no tab here\n", "\tkey\n", "worry\t\n", "worry\t , \n"])
def test_a_malformed_line_is_reported_with_its_number(tmp_path, line):
    path = tmp_path / "q.tsv"
    path.write_text("fine worry\tkey\n" + line, encoding="utf-8")
    with pytest.raises(ValueError, match=r"q.tsv:2"):
        read_labelled_queries(path)


def test_the_automatic_benchmark_switches_every_question_signal_off():
    config = answer_text_only(RankingConfig())
    assert config.question_dense == 0 and config.question_lexical == 0 and not config.group_by_question
    for name, system in automatic_systems(RankingConfig()).items():
        assert system.question_dense == 0 and system.question_lexical == 0, name


def test_baselines_use_one_signal_each_and_the_ranker_is_listed_first():
    systems = labelled_systems(RankingConfig())
    assert list(systems)[0] == "ranker"
    for name, config in list(systems.items())[1:]:
        assert sum(1 for w in config.weights() if w) == 1, name


def test_a_config_without_any_relevance_signal_is_refused():
    with pytest.raises(ValueError):
        RankingConfig(question_dense=0, answer_dense=0, question_lexical=0, answer_lexical=0, prior=1)
    with pytest.raises(ValueError):
        RankingConfig(fusion="max")


def test_a_negative_passage_mean_blend_is_refused():
    with pytest.raises(ValueError):
        RankingConfig(answer_passage_mean=-0.1)


@pytest.mark.parametrize("views", ["", "title,summary", " , "])
def test_question_views_must_name_known_views(views):
    with pytest.raises(ValueError, match="question_views"):
        RankingConfig(question_views=views)


def test_question_views_are_read_as_a_list_and_described():
    config = RankingConfig(question_views=" title , body,title ")
    assert config.views() == ("title", "body")
    assert "question_views=title,body" in config.describe()
