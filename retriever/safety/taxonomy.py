"""What the crisis check can say: levels, kinds of danger, and the families help resources are filed under.

Grounded in the Columbia Suicide Severity Rating Scale (C-SSRS) for suicide: a wish to be dead,
non-specific active thoughts, thoughts with a method, intent, a plan with a time or place,
preparatory acts, an attempt in progress. Beside it, the other dangers a person may be in: self-harm,
danger from another person, a child or teen at risk, harming others, medical danger and command
hallucinations. data/safety/GUIDE.md is the same taxonomy in prose, with the rules the training and
test messages were labelled by.

Levels (one per query):
- `imminent`: the danger is happening now or within hours (means at hand, an act under way, a time
  set for now or tonight, being attacked now): the emergency number comes first;
- `high`: a current danger without a set time (active thoughts, a plan, abuse, self-harm...);
- `concern`: a passive wish to be dead, someone else at risk, a past attempt with distress now;
- `none`: not a crisis (idioms, the past that is over, professionals' and fiction's stories).
`crisis` is true for every level but `none`.
"""
from __future__ import annotations

from dataclasses import dataclass

IMMINENT, HIGH, CONCERN, NONE = "imminent", "high", "concern", "none"
LEVELS = (IMMINENT, HIGH, CONCERN, NONE)  # most serious first
LEVEL_RANK = {level: rank for rank, level in enumerate(reversed(LEVELS))}  # none 0 .. imminent 3

# Families: what the API's `categories` name and what help resources are filed under.
SUICIDE, SELF_HARM, OVERDOSE, VIOLENCE, CHILD_AT_RISK = "suicide", "self_harm", "overdose", "violence", "child_at_risk"
HARM_TO_OTHERS, MEDICAL, PSYCHOSIS = "harm_to_others", "medical", "psychosis"
FAMILIES = (SUICIDE, SELF_HARM, OVERDOSE, VIOLENCE, CHILD_AT_RISK, HARM_TO_OTHERS, MEDICAL, PSYCHOSIS)


@dataclass(frozen=True)
class Kind:
    """One kind of danger: its family (for resources and the API) and its usual level."""

    name: str
    family: str
    usual_level: str
    description: str


KINDS: tuple[Kind, ...] = (
    Kind("passive_wish", SUICIDE, CONCERN, "a wish to be dead, not to wake up, to disappear (C-SSRS 1)"),
    Kind("active_ideation", SUICIDE, HIGH, "non-specific active thoughts of killing oneself (C-SSRS 2)"),
    Kind("ideation_method", SUICIDE, HIGH, "thoughts with a method, asking how (C-SSRS 3)"),
    Kind("intent", SUICIDE, HIGH, "intent to act (C-SSRS 4)"),
    Kind("plan", SUICIDE, HIGH, "a plan with a time or place (C-SSRS 5); imminent when now or tonight"),
    Kind("preparatory", SUICIDE, HIGH, "giving things away, farewells, acquiring means (C-SSRS preparatory acts)"),
    Kind("attempt", OVERDOSE, IMMINENT, "an attempt or overdose in progress or just done"),
    Kind("self_harm", SELF_HARM, HIGH, "current, severe or escalating self-harm"),
    Kind("threat_to_life", VIOLENCE, HIGH, "threats to kill, a weapon, strangulation"),
    Kind("abuse", VIOLENCE, HIGH, "ongoing physical or sexual abuse, stalking, being locked in"),
    Kind("child_abuse", CHILD_AT_RISK, HIGH, "a child or teen abused or unsafe at home"),
    Kind("child_exploitation", CHILD_AT_RISK, HIGH, "grooming or sextortion of a minor"),
    Kind("harm_others", HARM_TO_OTHERS, HIGH, "a plan or urge to hurt another person or a child"),
    Kind("starvation", MEDICAL, HIGH, "days without food with fainting: an eating disorder in medical danger"),
    Kind("poisoning", MEDICAL, IMMINENT, "a poisoning in progress"),
    Kind("command_hallucinations", PSYCHOSIS, HIGH, "voices commanding harm to self or others"),
)
KIND_BY_NAME = {kind.name: kind for kind in KINDS}
KIND_NAMES = tuple(kind.name for kind in KINDS)

# What a person is going through, as labelled on the corpus's questions (index/data/counselchat_labels.tsv):
# crisis-aware retrieval shows answers to questions of the same situation (retriever/crisis_retrieval.py).
SITUATIONS = ("suicidal", "self_harm", "supporting_at_risk", "suicide_loss", "partner_violence", "sexual_violence",
              "child_at_risk", "eating_disorder", "harm_others", "psychosis")

SELF, OTHER = "self", "someone_else"  # who is at risk: the writer, or someone they are worried about


def family_of(kind: str) -> str:
    return KIND_BY_NAME[kind].family


def most_serious(levels) -> str:
    """The most serious of `levels` (`none` when empty)."""
    return max(levels, key=LEVEL_RANK.__getitem__, default=NONE)
