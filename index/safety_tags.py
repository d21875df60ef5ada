"""Index-time tags for safe messaging: answers that mention suicide methods, lethal means or doses.

Why at index time: public safe-messaging guidance (e.g. reportingonsuicide.org, WHO) advises against
showing method or dose details to a person at risk. Tagging once while building costs nothing per
query; when a query is flagged as a crisis, the ranker moves tagged answers below untagged ones.
The tag is deliberately broad (a false tag only lowers an answer for crisis queries).
"""
from __future__ import annotations

import re
from typing import Callable

from index.corpus import Answer

LETHAL_MEANS = "lethal_means"
AnswerTagger = Callable[[Answer], list[str]]

_DOSE_UNITS = r"(?:mg|milligrams?|mcg|micrograms?|grams?|g|ml|milliliters?|pills|tablets|capsules|caps)"
METHOD_PATTERNS = [
    rf"\b\d+(?:[.,]\d+)?\s?{_DOSE_UNITS}\b",                                  # a dose: "50 mg", "30 pills"
    r"\b(?:lethal|fatal|deadly|toxic)\s+(?:dose|amount|dosage|quantity|level|combination)s?\b",
    r"\boverdos\w*\b",
    r"\b(?:hang|hanged|hanging|hangs)\s+(?:him|her|my|them|your|one)sel(?:f|ves)\b",
    r"\bnoose\b",
    r"\b(?:slit|slitting|slash|slashing|cut|cutting)\s+(?:\w+\s+)?(?:wrists?|throat)\b",
    r"\b(?:guns?|firearms?|pistol|rifle|shotgun|bullets?)\b",
    r"\b(?:jump|jumped|jumping)\s+(?:off|from)\b",
    r"\b(?:off|from)\s+(?:a|the)\s+(?:bridge|rooftop|roof|tall\s+building|cliff)\b",
    r"\b(?:carbon\s+monoxide|exhaust\s+fumes|bleach|antifreeze|rat\s+poison|poisoning)\b",
    r"\b(?:dose|doses|dosage|dosages)\b",
    r"\b(?:suicide|suicidal)\s+(?:method|means|plan)s?\b",
    r"\b(?:means|method|methods|ways?)\s+(?:to|of)\s+(?:kill|end|die|suicide|commit)\w*",
    r"\b(?:razor\s*blades?|razors?|blades?)\b",
    r"\b(?:stockpil\w*|hoard\w*)\s+(?:\w+\s+)?(?:pills|medications?|meds)\b",
    r"\b(?:tylenol|acetaminophen|paracetamol)\b",
]
_METHOD = re.compile("|".join(f"(?:{p})" for p in METHOD_PATTERNS), re.IGNORECASE)


def tag_lethal_means(answer: Answer) -> list[str]:
    """`["lethal_means"]` when the answer text mentions a method, a lethal means or a dose."""
    return [LETHAL_MEANS] if _METHOD.search(answer.answer) else []


# Every build runs these unless told otherwise (a safety default belongs to the library, not to a
# script); the manifest records their names and the service warns about an index built without them.
DEFAULT_TAGGERS: tuple[AnswerTagger, ...] = (tag_lethal_means,)
REQUIRED_TAGGERS = tuple(t.__name__ for t in DEFAULT_TAGGERS)
