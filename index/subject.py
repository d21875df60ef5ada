"""Whose problem a text is about: the writer, a partner, a child, a parent, a sibling, a friend.

A worry about "my son lies" is best served by questions about a child lying, not about a spouse
lying: the learned fusion reads whether the worry's subject matches the question's (both found by
the same few patterns: the first relative a text names as "my ..."). `self` when none is named.
"""
from __future__ import annotations

import re

SUBJECTS = ("self", "partner", "child", "parent", "sibling", "friend", "relative")
_WORDS = {
    "partner": r"husband|wife|boyfriend|girlfriend|bf|gf|partner|spouse|fianc\w*|ex|ex-?husband|ex-?wife|ex-?boyfriend|ex-?girlfriend|hubby",
    "child": r"son|daughter|child|children|kids?|baby|toddler|teen|teenager|stepson|stepdaughter|stepchild|step-?son|step-?daughter|grandson|granddaughter|grandchild|boy|girl|little\s+one",
    "parent": r"mom|mum|mother|dad|father|parents?|stepdad|stepmom|stepfather|stepmother|step-?dad|step-?mom|mother-?in-?law|father-?in-?law|in-?laws|grandma|grandpa|grandmother|grandfather|grandparents?",
    "sibling": r"brother|sister|siblings?|twin|stepbrother|stepsister",
    "friend": r"friend|bestie|bff|best\s+friend|roommate|coworker|co-?worker|boss|classmate|neighbou?r",
    "relative": r"aunt|uncle|cousin|niece|nephew|relative",
}
_SUBJECT = re.compile(r"\b(?:my|our)\s+(?:[\w-]+\s+){0,3}?(?:(" + ")|(".join(_WORDS.values()) + r"))\b", re.IGNORECASE)
_NAMES = tuple(_WORDS)


def subject_of(text: str) -> str:
    """The first relative `text` names as "my/our ...", or `self`."""
    match = _SUBJECT.search(text or "")
    if not match:
        return "self"
    return next(name for name, group in zip(_NAMES, match.groups()) if group)
