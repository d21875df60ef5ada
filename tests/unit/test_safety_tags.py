"""Index-time tag of answers that mention methods, lethal means or doses (demoted for crisis queries)."""
import pytest

from index.corpus import Answer
from index.safety_tags import LETHAL_MEANS, tag_lethal_means


def answer(text: str) -> Answer:
    return Answer("a1", "q1", "Title", "Question", "https://x/q1", ["t"], "T", "https://x/t", text, text, 0, 0)


@pytest.mark.parametrize("text", [
    "Your doctor may raise the dose to 50 mg.",
    "Do not keep a firearm at home while you feel like this.",
    "An overdose of that medicine can damage the liver.",
    "Some people think about jumping off a bridge.",
    "Keep razor blades out of the house.",
])
def test_answers_mentioning_methods_or_doses_are_tagged(text):
    assert tag_lethal_means(answer(text)) == [LETHAL_MEANS]


@pytest.mark.parametrize("text", [
    "Therapy can help you build a bridge between your feelings and your words.",
    "Talk to someone you trust tonight, and reach out to a counselor this week.",
    "Grief comes in waves; be gentle with yourself.",
])
def test_ordinary_answers_are_not_tagged(text):
    assert tag_lethal_means(answer(text)) == []
