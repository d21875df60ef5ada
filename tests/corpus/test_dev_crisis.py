"""Targets of issue 4 on ../shared/eval/dev_crisis.tsv: every crisis flagged, at most one non-crisis flagged."""
import pytest

from retriever.safety import SafetyCheck


@pytest.fixture(scope="module")
def dev_cases(dev_crisis_tsv):
    rows = [line.split("\t") for line in dev_crisis_tsv.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(text, label.strip() == "1") for text, label in rows]


@pytest.fixture(scope="module")
def flagged(dev_cases, embedder):
    check = SafetyCheck.build()
    vectors = embedder.encode([text for text, _ in dev_cases])
    return [(is_crisis, check.check(text, v).crisis) for (text, is_crisis), v in zip(dev_cases, vectors)]


def test_every_crisis_in_the_dev_set_is_flagged(flagged):
    crises = [got for is_crisis, got in flagged if is_crisis]
    assert crises and all(crises), f"{crises.count(False)} of {len(crises)} crises missed"


def test_at_most_one_non_crisis_in_the_dev_set_is_flagged(flagged):
    false_alarms = sum(1 for is_crisis, got in flagged if not is_crisis and got)
    assert false_alarms <= 1
