"""Index-time tags for a person at risk: answers that mention methods, and what each question's asker is going through.

- `lethal_means`: answers that mention suicide methods, lethal means or doses. Public safe-messaging
  guidance (reportingonsuicide.org, Samaritans, #chatsafe) advises against showing method or dose
  details to a person at risk; for a flagged query these answers stay out of the results. The tag is
  deliberately broad (a false tag only hides an answer from crisis queries).
- `situation:<name>`: the asker's situation (suicidal, self_harm, partner_violence, ...), from the hand
  labels of the CounselChat questions (index/data/counselchat_labels.tsv, keys and labels only).
  For a flagged query the results come from questions of the same situation
  (retriever/crisis_retrieval.py). A corpus without labels gets no situation tags.
Tagging once while building costs nothing per query.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Callable

from index.corpus import Answer

LETHAL_MEANS = "lethal_means"
SITUATION = "situation:"
AnswerTagger = Callable[[Answer], list[str]]
COUNSELCHAT_LABELS = Path(__file__).parent / "data" / "counselchat_labels.tsv"

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


@lru_cache(maxsize=1)
def question_situations() -> dict[str, str]:
    """question key -> situation, from the packaged hand labels ("-" = none is left out)."""
    situations = {}
    for line in COUNSELCHAT_LABELS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _level, _category, situation = line.split("\t")
            if situation != "-":
                situations[key] = situation
    return situations


def tag_situation(answer: Answer) -> list[str]:
    """`["situation:<name>"]` when the answer's question is labelled with a situation."""
    situation = question_situations().get(answer.question_id)
    return [SITUATION + situation] if situation else []


# Every build runs these unless told otherwise (a safety default belongs to the library, not to a
# script); the manifest records their names and the service warns about an index built without them.
DEFAULT_TAGGERS: tuple[AnswerTagger, ...] = (tag_lethal_means, tag_situation)
REQUIRED_TAGGERS = tuple(t.__name__ for t in DEFAULT_TAGGERS)
