"""What sits under the help lines: for a flagged query, answers therapists wrote to people in the same situation.

Help comes first on a flagged query; what comes under it must not be ordinary search, which for
"ending it" finds a question about ending a relationship, and for saved-up pills one about taking a
friend's pills. So, when the check flags a crisis:
1. the crisis's families (and who is at risk) name target situations (`TARGETS`): thoughts of death
   or suicide, self-harm, danger from a partner, a child at risk, an eating disorder...; someone
   worried about another person gets questions about supporting someone at risk first;
2. the ranker ranks the worry within the questions of those situations only (index-time tags from the
   hand labels of the corpus, index/safety_tags.py); a self-directed crisis never sees questions about
   harming others, nor the reverse;
3. answers that describe methods or doses stay out (`lethal_means`), and every quoted passage is a
   safe one (safe_passages.py);
4. the situation is the match: its answers are kept however far the worry's words are from them,
   and `low_confidence` says when none is close (the page then says the help above is the help now);
   a situation with no question at all leaves the help lines alone.
Step 2 applies to `high` and `imminent`; a `concern` keeps ordinary ranking (SITUATION_LEVELS).
An index without situation tags (another corpus, or one built before them) falls back to ordinary
ranking with the lethal-means answers left out.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from index.safety_tags import LETHAL_MEANS, SITUATION
from retriever.ranking import Ranker, Ranking
from retriever.safe_passages import safe_span
from retriever.sets import distinct_of
from retriever.safety.taxonomy import (CHILD_AT_RISK, HARM_TO_OTHERS, MEDICAL, OVERDOSE, PSYCHOSIS, SELF_HARM, SUICIDE,
                                       VIOLENCE)

TARGETS: dict[str, tuple[str, ...]] = {
    SUICIDE: ("suicidal", "self_harm"),
    OVERDOSE: ("suicidal", "self_harm"),
    SELF_HARM: ("self_harm", "suicidal"),
    VIOLENCE: ("partner_violence", "sexual_violence"),
    CHILD_AT_RISK: ("child_at_risk", "sexual_violence"),
    HARM_TO_OTHERS: ("harm_others",),
    MEDICAL: ("eating_disorder",),
    PSYCHOSIS: ("psychosis",),
}
FOR_SOMEONE_ELSE = ("supporting_at_risk",)
EXCLUDED_IN_CRISIS = (LETHAL_MEANS,)
# Levels whose results come from the situation's questions only. A `concern` (a passive wish, someone else
# at risk, a worry near a danger) keeps ordinary ranking, with the method answers out and safe passages:
# it is also where a classifier that leans toward help errs, and an ordinary worry must not lose its answers.
SITUATION_LEVELS = ("high", "imminent")


def target_situations(families: Sequence[str], someone_else: bool) -> tuple[str, ...]:
    """The situations whose questions serve a crisis of these families, most fitting first."""
    wanted = list(FOR_SOMEONE_ELSE) if someone_else else []
    for family in families:
        wanted += [s for s in TARGETS.get(family, ()) if s not in wanted]
    if HARM_TO_OTHERS not in families:  # a person at risk themselves never reads about harming others
        wanted = [s for s in wanted if s != "harm_others"]
    return tuple(wanted)


def situation_questions(ranker: Ranker, situations: Sequence[str]) -> np.ndarray | None:
    """Sorted positions of the questions tagged with any of `situations` (None: the index has no situation tags)."""
    if not any(flag.startswith(SITUATION) for flag in ranker.questions_by_flag):
        return None
    found = [ranker.questions_by_flag.get(SITUATION + s, np.zeros(0, np.int64)) for s in situations]
    return distinct_of(*found)


def rank_for_crisis(ranker: Ranker, query: str, vector: np.ndarray, k: int, level: str, families: Sequence[str],
                    someone_else: bool, topics: Sequence[str] | None = None,
                    per_question: int | None = None) -> Ranking:
    """The worry ranked among answers to people in the same situation (`high`, `imminent`) or among all
    answers (`concern`), lethal means out, safe passages only."""
    questions = None
    if level in SITUATION_LEVELS:
        questions = situation_questions(ranker, target_situations(families, someone_else))
        if questions is not None and not len(questions):
            questions = None  # tags exist but none for these situations: the whole index, still made safe
    ranking = ranker.rank(query, vector, k, topics, exclude_flags=EXCLUDED_IN_CRISIS, only_questions=questions,
                          per_question=per_question)
    # Every result within the situation is kept, however low its confidence: the situation is the match
    # (what therapists wrote to people going through it), and `low_confidence` says when none is close.
    # Measured on the writers' at-risk messages (1,500 sampled, 327 at risk): dropping results below the
    # ranker's low-confidence bar left 173 with the help lines alone and 19% with 2 of 3 from their
    # situation; keeping them: none alone, 81%, no passage describing a method either way.
    for result in ranking.results:
        near = (result.highlight.start, result.highlight.end) if result.highlight is not None else None
        span = safe_span(result.answer.answer, near)
        result.highlight = None if span is None else safe_highlight(result, span)
    ranking.low_confidence = ranking.low_confidence or not ranking.results
    return ranking


def safe_highlight(result, span: tuple[int, int]):
    """A highlight over exactly the safe sentences `span` of the result's answer."""
    from index.passages import Passage
    from index.text import one_line

    start, end = span
    base = result.highlight
    return Passage(base.passage_id if base else -1, result.answer.answer_id, base.ordinal if base else 0,
                   start, end, one_line(result.answer.answer[start:end]))
