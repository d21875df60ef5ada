"""The real CounselChat corpus from ../shared (skipped where absent)."""
import pytest

from index.corpus import load_corpus


def test_the_corpus_loads_with_its_known_counts(real_csv):
    corpus = load_corpus(real_csv)
    assert corpus.rows_read == 2129
    assert len(corpus.answers) == 2009 and corpus.duplicates_merged == 120
    assert corpus.question_count == 824
    assert corpus.source_sha256 == "c36fbce1c12271a17f3f355f6aaeb0b04987b217b53b600c5677985f15c9f1a8"
    assert len({a.answer_id for a in corpus.answers}) == 2009


def test_crying_in_therapy_finds_a_crying_question_first(real_service):
    outcome = real_service.search("is it normal to cry during therapy", k=5)
    top = outcome.ranking.results[0].answer
    assert "cry" in top.question_id, top.question_id
    assert top.question_id in {"is-it-normal-to-cry-at-therapy", "why-do-i-cry-in-therapy",
                               "is-it-normal-to-cry-during-therapy"} or "cry" in top.question_title.lower()


def test_every_answer_is_embedded_in_passages_that_cover_it(real_service):
    index = real_service.index
    for answer in index.answers[:300]:
        passages = index.passages_by_answer[answer.answer_id]
        covered = " ".join(answer.answer[p.start:p.end] for p in passages)
        assert covered.split() == answer.answer.split()


@pytest.mark.parametrize("csv_name", ["20200325_counsel_chat.csv", "20220401_counsel_chat.csv"])
def test_every_therapist_info_of_both_csvs_comes_apart_into_name_and_credentials(csv_name):
    """Every `therapistInfo` value of both CounselChat CSVs (issue 17: some names still ran into their
    titles): the name is spelled by the profile slug (nothing of the title line in it), and the name
    and the credentials together hold every letter of the value, in order."""
    import csv
    import re

    from index.text import one_line, question_key, therapist_parts
    from tests.conftest import SHARED

    path = SHARED / "data" / "counselchat" / csv_name
    if not path.is_file():
        pytest.skip(f"{path} not found")

    def letters(text):  # as a slug spells them: ASCII letters and digits, the others left out
        return re.sub(r"[^a-z0-9]", "", text.lower())

    with open(path, encoding="utf-8-sig", newline="") as handle:
        values = {(row["therapistInfo"], row["therapistURL"]) for row in csv.DictReader(handle)}
    assert len(values) > 300
    for info, url in values:
        name, credentials = therapist_parts(info, url)
        slug = letters(re.sub(r"-\d+$", "", question_key(url)).replace("-", ""))
        assert name and letters(name) in slug and slug.find(letters(name)) <= 4, (name, credentials)
        assert letters(name + credentials) == letters(one_line(info)), (name, credentials)
