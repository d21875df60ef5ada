"""The confidence model: a monotone 0..1 calibration and the low-confidence rule."""
from pathlib import Path

from retriever.confidence import ConfidenceModel, evidence_of

OFF_TOPIC = Path(__file__).resolve().parent.parent / "data" / "off_topic_worries.txt"


def test_confidence_is_a_probability_that_grows_with_evidence():
    model = ConfidenceModel()
    values = [model.confidence(c) for c in (-1.0, 0.0, 0.3, 0.5, 0.7, 0.9, 1.0)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert values == sorted(values) and values[0] < 0.01 and values[-1] > 0.9


def test_low_confidence_when_the_best_result_is_weak_or_missing():
    model = ConfidenceModel(threshold=0.2)
    assert model.is_low(None)
    assert model.is_low(0.1)
    assert not model.is_low(0.6)


def test_evidence_is_the_best_cosine_to_question_or_passage():
    assert evidence_of({"q_best": 0.7, "a_best": 0.4, "prior": 1.0}) == 0.7
    assert evidence_of({"q_best": 0.0, "a_best": 0.4}) == 0.4


def test_the_off_topic_worries_file_is_there_for_measuring():
    lines = [l for l in OFF_TOPIC.read_text(encoding="utf-8").splitlines() if l.strip() and not l.startswith("#")]
    assert len(lines) >= 20
