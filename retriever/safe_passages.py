"""Passages safe to quote to a person at risk: sentences that speak to them, never a method, a dose or a place.

Safe-messaging guidance (reportingonsuicide.org, Samaritans' online guidelines, #chatsafe) says never to
show how, how much or where. For a flagged query, the highlight of each answer and every passage
given to a chatbot (/v1/context) are chosen here, among the answer's sentences:
1. a sentence is unsafe when it matches a method, lethal-means or dose pattern (index/safety_tags.py)
   or names a place people jump from (PLACES); every other sentence is safe;
2. candidate spans are runs of consecutive safe sentences (at most MAX_SENTENCES);
3. the chosen span is the one that best overlaps the passage closest to the worry, then the one with
   the most words of hope, reaching out and what helps now (SUPPORTIVE);
4. no safe sentence: no passage (the answer is not quoted).
The rule is tested on every answer of the corpus (tests/corpus).
"""
from __future__ import annotations

import re

from index.safety_tags import METHOD_PATTERNS
from index.text import sentence_spans

PLACES = r"\b(?:bridges?|rooftops?|roofs?|ledges?|cliffs?|train\s+tracks|railway\s+(?:line|tracks)|balcon(?:y|ies)|parking\s+(?:garage|structure)|overpass(?:es)?|high\s+(?:floor|building))\b"
UNSAFE = re.compile("|".join(f"(?:{p})" for p in (*METHOD_PATTERNS, PLACES)), re.IGNORECASE)
SUPPORTIVE = re.compile(
    r"\b(?:help|helps|helpful|reach(?:ing)?\s+out|talk(?:ing)?|support\w*|hope\w*|safe(?:ty)?|care|deserve|"
    r"therapist|counsel(?:or|ling|ing)|crisis\s+line|hotline|988|call|text|emergency|friend|family|trust(?:ed)?|"
    r"alone|better|heal\w*|strength|courage|brave|matter|worth|valu\w*|loved?|listen\w*|cope|coping|breath\w*)\b",
    re.IGNORECASE)
MAX_SENTENCES = 3


def is_unsafe(text: str) -> bool:
    """Whether `text` describes a method, a lethal means, a dose or a place (what is never quoted)."""
    return UNSAFE.search(text) is not None


def safe_span(answer: str, near: tuple[int, int] | None = None) -> tuple[int, int] | None:
    """(start, end) in `answer` of the safe sentences to quote, near `near` (the best passage) if given."""
    sentences = sentence_spans(answer) or [(0, len(answer))]
    safe = [not is_unsafe(answer[s:e]) for s, e in sentences]
    best, best_key = None, None
    for first in range(len(sentences)):
        if not safe[first]:
            continue
        for last in range(first, min(first + MAX_SENTENCES, len(sentences))):
            if not safe[last]:
                break
            start, end = sentences[first][0], sentences[last][1]
            overlap = max(0, min(end, near[1]) - max(start, near[0])) if near else 0
            key = (overlap, len(SUPPORTIVE.findall(answer[start:end])), -first, end - start)
            if best_key is None or key > best_key:
                best, best_key = (start, end), key
    return best
