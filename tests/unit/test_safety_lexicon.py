"""The crisis lexicon alone (no model): explicit crises are caught, idioms and denials are not."""
import pytest

from retriever.safety.lexicon import scan
from safety_cases import LEXICON_CRISIS, NOT_CRISIS


@pytest.mark.parametrize("text", LEXICON_CRISIS)
def test_explicit_crisis_language_is_flagged_by_the_lexicon_alone(text):
    assert scan(text).flagged, text


@pytest.mark.parametrize("text", NOT_CRISIS)
def test_idioms_denials_and_ordinary_worries_are_not_flagged(text):
    assert not scan(text).flagged, (text, scan(text).evidence)


@pytest.mark.parametrize("text, category", [
    ("i want to kil myself", "suicide"),
    ("thinking about sucide", "suicide"),
    ("I have been self-harming", "self_harm"),
    ("I took a handful of sleeping pills", "overdose"),
    ("my girlfriend slapped me and threatened to hurt me", "violence"),
    ("my 6 year old told me he wants to die", "child_at_risk"),
    ("my 6 year old told me he wants to die", "suicide"),
])
def test_each_category_is_named(text, category):
    assert category in scan(text).categories


def test_a_denial_is_recorded_as_negated_not_flagged():
    found = scan("I'm not suicidal, I just can't sleep")
    assert not found.flagged and "suicide" in found.negated


@pytest.mark.parametrize("text", [
    "I'm not suicidal but I have pills saved up",          # an affirmed signal beside a denial
    "I'm not sure I want to be alive",                     # a hedge is not a negation
    "I can't stop thinking about ending my life",          # "can't stop" is not a negation
    "I don't know why I want to die",                      # "don't" belongs to "know", not to "want to die"
    "I don't want to live anymore",                        # negative in form, a crisis in meaning
    "nobody cares, I want to kill myself",                 # "nobody" is not a negation
])
def test_negation_is_only_a_denial_right_before_the_crisis_words(text):
    assert scan(text).flagged, text


def test_an_idiom_does_not_hide_a_real_crisis_in_the_same_query():
    assert scan("this job is killing me and I want to kill myself").categories == {"suicide"}


def test_a_crisis_word_in_the_middle_of_a_long_text_is_found():
    text = "I have been feeling low. " * 60 + "Last night I cut myself again. " + "Work is fine. " * 60
    assert "self_harm" in scan(text).categories


def test_evidence_names_patterns_never_the_query_text():
    found = scan("I want to kill myself because of Jordan")
    assert found.evidence and all("jordan" not in pattern for _, pattern in found.evidence)


def test_the_one_pass_prefilter_changes_no_reading(monkeypatch):
    """A message the combined pattern does not match skips the per-pattern passes: every written
    safety message (all levels) and every case here reads the same as with every pass run."""
    import re
    from pathlib import Path

    import retriever.safety.lexicon as lexicon

    folder = Path(__file__).resolve().parents[2] / "data" / "safety"
    texts = [line.split("\t")[-1] for path in sorted(folder.glob("messages-*.tsv"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    texts += list(LEXICON_CRISIS) + list(NOT_CRISIS)
    assert len(texts) > 1000
    with_prefilter = [scan(text) for text in texts]
    monkeypatch.setattr(lexicon, "_ANY", re.compile(""))  # matches every text: every pass runs
    assert [scan(text) for text in texts] == with_prefilter
    assert sum(bool(reading.categories or reading.topics or reading.negated) for reading in with_prefilter) > 300


def test_normalizing_takes_accents_off_and_leaves_plain_text_as_it_reads():
    from retriever.safety.cues import normalize

    assert normalize("Ya no quiero VIVIR,  ¿qué  hago?") == "ya no quiero vivir, ¿que hago?"
    assert normalize("I can\u2019t   sleep") == "i can't sleep"
    assert normalize("Naïve  café") == "naive cafe"
