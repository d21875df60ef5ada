"""Semantic similarity to crisis prototypes: the paraphrases a lexicon cannot foresee.

The query vector the search computes anyway is compared with a few dozen short prototype sentences
per category (written here, in the voice of a person typing into the search box) and with contrast
sentences that look similar but are not crises (idioms, negations, grief, ordinary therapy
questions). Prototype vectors are computed once, when the service starts; a check is then one small
matrix product (microseconds), never a second encoding of the query.

A category fires when its best prototype is very close (>= `strong`), or close enough (>= `floor`)
and clearly closer than the best contrast sentence (by `margin`). The thresholds were chosen for
all-MiniLM-L6-v2 on the written cases in tests/data/crisis_cases.tsv, measured with BOTH backends
(torch fp32 and the int8 ONNX export, whose scores differ by up to 0.012 on those cases): `floor` 0.60
sits 0.022 under the lowest crisis case the floor decides (0.622 int8, 0.628 torch) and 0.016 over the
highest ordinary worry that clears the margin (0.584), both more than the backends' difference, and
leans toward flagging because a missed crisis costs far more than an extra help banner. Another
model needs its own thresholds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from retriever.safety.lexicon import CHILD_AT_RISK, OVERDOSE, SELF_HARM, SUICIDE, VIOLENCE

CRISIS_PROTOTYPES: dict[str, list[str]] = {
    SUICIDE: [
        "I want to kill myself",
        "I am going to end my life tonight",
        "I don't want to be alive anymore",
        "I wish I could go to sleep and never wake up",
        "everyone would be better off if I was gone",
        "I have a plan to die",
        "I keep thinking about suicide",
        "there is no reason for me to keep living",
        "I want to disappear and never come back",
        "I can't go on living like this",
        "I wrote a goodbye letter to my family",
        "I feel like there's no way out except dying",
        "nobody would miss me if I was dead",
        "I'm ready to give up on life",
        "I'm thinking of jumping off a bridge",
        "I feel like a burden and want it all to end",
        "what is the point of living anymore",
        "I want to stop existing",
        "I've been having suicidal thoughts",
        "I don't see a future for myself and want to die",
        "my friend told me she wants to kill herself",
        "I'm scared I might act on my thoughts of ending it",
        "I have decided when I am going to do it",
        "I got everything I need to end it",
    ],
    SELF_HARM: [
        "I cut myself to cope with the pain",
        "I've been hurting myself on purpose",
        "I burn my skin when I feel overwhelmed",
        "I relapsed and started cutting again",
        "I hit myself when I get angry at myself",
        "I hide the scars on my arms",
        "self harm is the only thing that makes me feel better",
        "my daughter has been cutting her arms",
    ],
    OVERDOSE: [
        "I took too many pills",
        "I swallowed a whole bottle of medication",
        "how many pills does it take to die",
        "I've been saving up my pills",
        "what is a lethal dose of my medication",
        "I overdosed last night",
        "I drank a lot and took my sleeping pills",
        "I want to take all my pills at once",
    ],
    VIOLENCE: [
        "my husband hits me",
        "my boyfriend beats me and I'm afraid to leave",
        "my partner threatened to kill me",
        "I'm scared my ex will hurt me",
        "he choked me during a fight",
        "I was raped",
        "someone is stalking me and I'm afraid",
        "my wife hurts me physically",
        "I'm afraid for my safety at home",
        "my dad gets drunk and beats my mom",
        "he won't let me leave the house and I'm scared",
        "I was sexually assaulted",
    ],
    CHILD_AT_RISK: [
        "my child says she wants to die",
        "my son talks about killing himself",
        "my stepdad touches my daughter",
        "my kid is being abused",
        "I'm afraid I will hurt my baby",
        "my husband hits our children",
        "my 8 year old said he wishes he was dead",
        "my teenager is cutting herself",
        # the child's own voice: an adult at home they fear, often at night, often sexual (said indirectly)
        "an adult in my house does things to me at night that I don't like",
        "I'm a kid and I'm afraid of my stepdad when my mom is not home",
        "I lock my bedroom door because of my mom's boyfriend",
        "my uncle makes me keep a secret about what he does to me",
        "someone in my family touches me when I'm trying to sleep",
        "I'm scared to go home because of what my dad does to me",
        "I'm afraid he will come into my room again tonight",
        "an older relative does sexual stuff to me when we are alone",
        "I'm a teenager and a grown up I live with makes me do things I don't want to",
    ],
}

CONTRAST_PROTOTYPES: list[str] = [
    # idioms
    "my job is killing me", "work is killing me this week", "my feet are killing me",
    "we died laughing at the comedy show", "I could die of embarrassment", "how do I kill time at the airport",
    "she is killing it at work", "I'm dying to see that movie", "I'm dead tired after work",
    "my mom will kill me if she sees my grades", "that exam killed me", "I'm so tired of my roommate",
    "I'm sick of my commute", "I had way too much coffee today", "cut myself some slack", "how can I eat less junk food",
    # negations and reassurance
    "I'm not suicidal, just tired and stressed", "I would never hurt myself", "I'm not going to hurt myself",
    "I have no thoughts of suicide, I'm just sad", "I don't want to die, I'm just anxious",
    # grief, illness, fear of death
    "my cat passed away and I can't stop crying", "my grandmother died last year", "my father is dying of cancer",
    "I'm afraid of dying in a plane crash", "I have health anxiety and fear of death",
    # everyday worries people bring to therapy
    "how do I move on after my girlfriend left me", "will marriage counseling help us",
    "I feel sad and lonely most days", "I'm stressed about exams", "I can't sleep at night",
    "my husband and I argue a lot", "my teenage son won't talk to me", "my daughter is moody",
    "I'm tired all the time", "how do I stop procrastinating", "I feel empty and unmotivated",
    "I have social anxiety", "is it normal to cry in therapy", "I'm angry at my parents",
    "how do I set boundaries with my mother", "I'm jealous of my friends", "I feel worthless at work",
    # relationships and parenting: close to the violence and child prototypes in words, not in danger
    "should I break up with my girlfriend", "my partner keeps threatening to leave me",
    "how do I win back my husband's trust", "my wife has changed since the wedding",
    "why do I keep pushing people away", "my ex wants to get back together",
    "is my relationship with my stepmom normal", "how should I discipline my stubborn child",
    "my toddler says she hates me when she is angry", "my kids fight with each other all the time",
    # night-time fears and home annoyances with no adult to fear: not abuse
    "my little sister sneaks into my bed when there is a storm", "I'm scared of the dark at night",
    "I had a nightmare and couldn't fall back asleep", "my roommate walks into my room without knocking",
    "my stepdad and I argue about chores",
    # self-criticism and exhaustion
    "I feel burnt out and exhausted", "I don't like myself very much", "I'm so hard on myself",
]


@dataclass(frozen=True)
class SemanticThresholds:
    strong: float = 0.72
    floor: float = 0.60
    margin: float = 0.05


class PrototypeMatcher:
    """Crisis and contrast prototype vectors, encoded once; `categories(vector)` is a dot product."""

    def __init__(self, encode: Callable[[list[str]], np.ndarray],
                 thresholds: SemanticThresholds = SemanticThresholds()):
        self.thresholds = thresholds
        self.labels: list[str] = [c for c, sentences in CRISIS_PROTOTYPES.items() for _ in sentences]
        sentences = [s for group in CRISIS_PROTOTYPES.values() for s in group]
        vectors = encode(sentences + CONTRAST_PROTOTYPES)
        self.crisis = np.asarray(vectors[: len(sentences)], dtype=np.float32)
        self.contrast = np.asarray(vectors[len(sentences):], dtype=np.float32)
        self._label_index = {c: np.array([i for i, l in enumerate(self.labels) if l == c]) for c in CRISIS_PROTOTYPES}

    def scores(self, vector: np.ndarray) -> tuple[dict[str, float], float]:
        """(best cosine per category, best cosine to a contrast sentence) for a unit vector."""
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        crisis = self.crisis @ vector
        per_category = {c: float(crisis[idx].max()) for c, idx in self._label_index.items()}
        return per_category, float((self.contrast @ vector).max())

    def categories(self, vector: np.ndarray, *, strict: bool = False, lenient: bool = False) -> set[str]:
        """Categories whose prototypes the vector is close to.

        `strict` accepts only very close ones (the lexicon found an idiom that explains the crisis-like
        words); `lenient` drops the margin over contrast sentences (the query denies a crisis and then
        goes on with "but ...": ambivalence, so the bar is lower).
        """
        per_category, contrast = self.scores(vector)
        t = self.thresholds
        margin = 0.0 if lenient else t.margin
        return {c for c, s in per_category.items()
                if s >= t.strong or (not strict and s >= t.floor and s - contrast >= margin)}
