"""How the check turns lexicon, cues and classifier scores into a level (retriever/safety/check.py `decide`),
with scores given by hand: the rules, independent of any trained model."""
import pytest

from retriever.safety.check import decide
from retriever.safety.classifier import Scores
from retriever.safety.features import read
from retriever.safety.taxonomy import FAMILIES

THRESHOLDS = {"crisis": 0.3, "high": 0.5, "imminent": 0.5}


def scores(crisis=0.0, high=0.0, imminent=0.0, someone_else=0.0, **families):
    return Scores(crisis, high, imminent, someone_else, {f: families.get(f, 0.0) for f in FAMILIES})


def test_levels_follow_the_heads_from_concern_to_imminent():
    reading = read("something is wrong")
    assert decide(reading, scores(0.2), THRESHOLDS).level == "none"
    assert decide(reading, scores(0.4, suicide=0.9), THRESHOLDS).level == "concern"
    assert decide(reading, scores(0.4, 0.6, suicide=0.9), THRESHOLDS).level == "high"
    assert decide(reading, scores(0.4, 0.6, 0.7, suicide=0.9), THRESHOLDS).level == "imminent"
    assert decide(reading, scores(0.1, 0.9, 0.9), THRESHOLDS).level == "none"  # no crisis, no level


def test_an_explicit_statement_is_at_least_concern_whatever_the_model_says():
    decision = decide(read("i want to kill myself"), scores(0.01), THRESHOLDS)
    assert decision.level == "concern" and "suicide" in decision.families and "lexicon" in decision.sources


def test_an_overdose_said_of_now_is_imminent_from_the_lexicon_alone():
    assert decide(read("i just took a bunch of pills"), scores(0.01), THRESHOLDS).level == "imminent"


@pytest.mark.parametrize("text", [
    "my grandpa killed himself in 1998 and i am writing about it for school",
    "as a nurse i had a patient who overdosed on my shift",
    "in the movie the character wants to kill himself",
    "lol i want to die my crush saw my browser history",
])
def test_crisis_words_about_the_past_work_fiction_or_in_jest_do_not_decide_alone(text):
    decision = decide(read(text), scores(0.05), THRESHOLDS)
    assert decision.level == "none"


def test_topic_words_alone_never_decide_but_get_the_gentle_line():
    decision = decide(read("what does research say about suicide prevention programs"), scores(0.05), THRESHOLDS)
    assert decision.level == "none" and decision.gentle


def test_families_come_from_the_classifier_and_a_crisis_always_names_one():
    decision = decide(read("everything feels heavy"), scores(0.9, 0.9, violence=0.2, medical=0.3), THRESHOLDS)
    assert decision.families == ["medical"]  # none above 0.5: the most likely one


def test_someone_else_at_risk_is_read_from_its_head():
    assert decide(read("my friend said she wants to die"), scores(0.9, someone_else=0.8, suicide=0.9),
                  THRESHOLDS).someone_else
