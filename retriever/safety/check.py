"""The safety check run on every query: lexicon + context cues + the learned classifier -> a verdict.

How a message is judged (`decide`):
1. The classifier (classifier.py) gives P(crisis), P(high or imminent), P(imminent), P(someone else
   at risk) and a probability per family, from the query vector, hashed words, cues and lexicon hits.
   Its thresholds were chosen for recall first on held-out writers (scripts/train_safety.py).
2. An explicit lexicon match (lexicon.py: "kill myself", "took a bunch of pills", "me quiero matar")
   makes the message at least `concern` by itself, unless its sentence says it is about the past, a
   death, work, fiction, news or a joke (cues.py, features.CONTEXT_CUES); then the classifier alone decides. An overdose or
   a poisoning the lexicon finds, said of now, is `imminent`.
3. Families name the help lines; someone else at risk gets the lines framed for helping someone;
   a message in Spanish gets the Spanish lines (the answers stay in English, and the notice says so).
Past events and professionals' stories are not an alarm but get the gentle line (`message`).

It never raises. If anything inside goes wrong, the verdict says so in `error`, counts as a crisis
(level `high`: the banner and every resource are shown) and the search goes on.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from retriever.safety.classifier import Scores, SafetyClassifier
from retriever.safety.features import Reading, read
from retriever.safety.lexicon import MEDICAL, OVERDOSE
from retriever.safety.resources import Resource, ResourceSet, load_resources
from retriever.safety.taxonomy import CONCERN, FAMILIES, HIGH, IMMINENT, LEVEL_RANK, NONE, OTHER, SELF

log = logging.getLogger("counsel_search.safety")

FAMILY_THRESHOLD = 0.5
SOMEONE_ELSE_THRESHOLD = 0.5


@dataclass
class SafetyVerdict:
    crisis: bool
    level: str
    categories: list[str]
    resources: list[Resource]
    notice: str
    subject: str = SELF
    language: str = "en"
    message: str | None = None  # one sentence for the person, in their language (None: nothing to say)
    reply_instruction: str | None = None  # for chatbots, on imminent and high: put the help first
    error: str | None = None
    took_ms: float = 0.0
    sources: list[str] = field(default_factory=list)  # "lexicon" / "classifier": why it fired (never the text)


@dataclass(frozen=True)
class Decision:
    level: str
    families: list[str]
    someone_else: bool
    sources: list[str]
    gentle: bool


def decide(reading: Reading, scores: Scores, thresholds: dict[str, float]) -> Decision:
    """The level, families and subject of a message from what was read and scored (pure: training uses it)."""
    level = NONE
    if scores.crisis >= thresholds["crisis"]:
        level = CONCERN
        if scores.high >= thresholds["high"]:
            level = HIGH
        if scores.imminent >= thresholds["imminent"]:
            level = IMMINENT
    sources = ["classifier"] if level != NONE else []
    explicit = reading.explicit_plain  # explicit matches whose sentence is not about the past, fiction, work...
    if explicit:
        floor = IMMINENT if explicit & {OVERDOSE, MEDICAL} and reading.cues["now"] else CONCERN
        if LEVEL_RANK[floor] > LEVEL_RANK[level]:
            level = floor
            sources.append("lexicon")
    if level == NONE:
        # crisis words said of the past, at work, in fiction, or as a topic: not an alarm, a gentle line
        gentle = bool(reading.lexicon.categories or reading.lexicon.topics) or scores.crisis >= thresholds["crisis"] / 2
        return Decision(NONE, [], False, [], gentle)
    families = {f for f, p in scores.families.items() if p >= FAMILY_THRESHOLD} | explicit
    if not families:
        families = {max(scores.families, key=scores.families.get)}
    ordered = [f for f in FAMILIES if f in families]
    return Decision(level, ordered, scores.someone_else >= SOMEONE_ELSE_THRESHOLD, sources, False)


class SafetyCheck:
    """Flags crisis language in a query. Build once per service (the classifier loads here)."""

    def __init__(self, resources: ResourceSet, classifier: SafetyClassifier):
        self.resources = resources
        self.classifier = classifier

    @classmethod
    def build(cls, resources: ResourceSet | None = None, classifier: SafetyClassifier | None = None) -> "SafetyCheck":
        return cls(resources or load_resources(), classifier or SafetyClassifier.load())

    def check(self, text: str, vector: np.ndarray | None = None) -> SafetyVerdict:
        """Judge one query; `vector` is its embedding from the search (None: the text-only classifier)."""
        started = time.perf_counter()
        try:
            verdict = self._judge(text, vector)
        except Exception as error:  # a safety check must never take a search down with it
            log.error("safety check failed (%s); showing help resources", type(error).__name__)
            verdict = SafetyVerdict(True, HIGH, [], self.resources.all(), self.resources.notice,
                                    message=self.resources.messages[HIGH],
                                    reply_instruction=self.resources.reply_instructions[HIGH],
                                    error=f"the safety check failed ({type(error).__name__}); "
                                          "help resources are shown to be safe")
        verdict.took_ms = (time.perf_counter() - started) * 1000
        return verdict

    def _judge(self, text: str, vector: np.ndarray | None) -> SafetyVerdict:
        reading = read(text)
        decision = decide(reading, self.classifier.scores(reading, vector), self.classifier.thresholds)
        resources = self.resources.in_language(reading.language)
        if decision.level == NONE:
            message = resources.messages["gentle"] if decision.gentle else None
            return SafetyVerdict(False, NONE, [], resources.general(), resources.notice, language=resources.language,
                                 message=message)
        subject = OTHER if decision.someone_else else SELF
        message = resources.messages["someone_else" if decision.someone_else and decision.level != IMMINENT
                                     else decision.level]
        if decision.someone_else and decision.level == IMMINENT:
            message = f"{resources.messages[IMMINENT]} {resources.messages['someone_else']}"
        return SafetyVerdict(True, decision.level, decision.families,
                             resources.ordered(decision.families, decision.level, decision.someone_else),
                             resources.notice, subject=subject, language=resources.language, message=message,
                             reply_instruction=resources.reply_instructions.get(decision.level),
                             sources=decision.sources)
