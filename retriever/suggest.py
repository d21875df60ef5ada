"""Suggestions as a person types: question titles that continue their words, and the help line
instead of suggestions when the words so far look like a crisis.

Why question titles: they are worries people really wrote, each leads to answers, and they are
few (824 for CounselChat), so the whole table is built once per loaded index (`PageAids`) and a
keystroke is a handful of binary searches in a sorted vocabulary, well under a millisecond.

Why on the server and not in the page: two safety rules need the Python safety code.
- A suggestion puts words in a person's mouth, so no title that describes a method, a dose or a
  place (retriever/safe_passages.py, over index/safety_tags.py METHOD_PATTERNS) or that the crisis
  lexicon reads as a crisis statement (retriever/safety/lexicon.py) is ever suggested.
- A crisis-looking prefix ("i want to kill mys", "suicid") gets the help line instead of
  suggestions: the prefix as typed, and the prefix with its last, unfinished word completed by one of
  a few crisis words, are read by the lexicon (a named danger counts too: a prefix is not a verdict,
  and showing a help line costs nothing).

Matching: every word typed must begin a word of the title (the last one may be unfinished);
titles that begin with what was typed come first, then those whose match starts earliest, then
the questions with the most answers.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Sequence

from retriever.safe_passages import is_unsafe
from retriever.safety.lexicon import normalize, scan

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Completions of an unfinished last word that would make a prefix read as a crisis.
CRISIS_COMPLETIONS = ("myself", "suicide", "suicidal", "kill", "killing", "die", "dead", "death", "overdose",
                      "self-harm", "self harm", "unalive", "cutting", "hurt", "end", "life", "alive", "live")
MIN_PREFIX = 2  # characters typed before anything is suggested
MAX_SUGGESTIONS = 10


@dataclass(frozen=True)
class Suggestion:
    question_id: str
    title: str
    answers: int


@dataclass(frozen=True)
class Suggestions:
    suggestions: list[Suggestion]
    crisis: bool  # the prefix looks like a crisis: show the help line, not suggestions


def words_of(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


def looks_like_crisis(prefix: str) -> bool:
    """Whether the lexicon reads `prefix`, or `prefix` with its last word completed, as a crisis."""
    def flagged(text: str) -> bool:
        found = scan(text)
        return bool(found.categories or found.topics)

    if flagged(prefix):
        return True
    typed = normalize(prefix)
    if not typed or prefix[-1:].isspace():
        return False
    head, _, last = typed.rpartition(" ")
    if len(last) < MIN_PREFIX:
        return False
    return any(flagged(f"{head} {word}") for word in CRISIS_COMPLETIONS if word.startswith(last) and word != last)


class SuggestionIndex:
    """Question titles by the words they contain, for prefix lookups; immutable once built."""

    def __init__(self, questions: Sequence) -> None:
        """`questions`: the loaded index's questions (question_id, title, answer_ids)."""
        self.entries: list[Suggestion] = []
        normalized: list[str] = []
        postings: dict[str, set[int]] = {}
        for question in questions:
            title = " ".join(question.title.split())
            if not title or is_unsafe(title) or scan(title).categories:
                continue  # never suggested: method wording, or a crisis statement
            number = len(self.entries)
            self.entries.append(Suggestion(question.question_id, title, len(question.answer_ids)))
            words = words_of(title)
            normalized.append(" ".join(words))
            for word in words:
                postings.setdefault(word, set()).add(number)
        self.normalized = normalized
        self.vocabulary = sorted(postings)
        self.postings = [frozenset(postings[word]) for word in self.vocabulary]

    def _starting_with(self, start: str) -> set[int]:
        """Entries with a word that begins with `start`."""
        found: set[int] = set()
        at = bisect.bisect_left(self.vocabulary, start)
        while at < len(self.vocabulary) and self.vocabulary[at].startswith(start):
            found |= self.postings[at]
            at += 1
        return found

    def lookup(self, prefix: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
        typed = words_of(prefix)
        if len(" ".join(typed)) < MIN_PREFIX:
            return []
        matching: set[int] | None = None
        for word in typed:
            found = self._starting_with(word)
            matching = found if matching is None else matching & found
            if not matching:
                return []
        text = " ".join(typed)
        first = typed[0]

        def order(number: int):
            title = self.normalized[number]
            at = title.find(first)
            return (not title.startswith(text), at if at >= 0 else len(title), -self.entries[number].answers,
                    len(title), number)

        return [self.entries[n] for n in sorted(matching or (), key=order)[:limit]]

    def suggest(self, prefix: str, limit: int = MAX_SUGGESTIONS) -> Suggestions:
        """Titles for `prefix`, or none and `crisis` when the prefix looks like a crisis."""
        if looks_like_crisis(prefix):
            return Suggestions([], True)
        return Suggestions(self.lookup(prefix, limit), False)
