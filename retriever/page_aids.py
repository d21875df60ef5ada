"""What a search page offers besides the ranking, built once per loaded index.

Suggestions (suggest.py), the speller (spelling.py), topic facets (facets.py) and related
questions (related.py) all read the index: they are built together, from the ranker of the index
they belong to, when an index is loaded or swapped in (retriever/service.py `Serving`), never per
query. The index's mapped tables and question store are read in place (each answer's question and topic bits, the question vectors), so
nothing is computed twice. For CounselChat the whole build takes about 0.3 s.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from index.loader import Question

from retriever.facets import TopicFacets
from retriever.ranking import Ranker
from retriever.related import RelatedQuestions
from retriever.spelling import Speller
from retriever.suggest import SuggestionIndex


# What the suggestions and the speller read, at most (evenly spread over the index): all of CounselChat
# (824 questions, 2,009 answers), and a bounded start-up and memory for an index of millions: a
# speller's vocabulary stops growing long before, and suggestions come from that many titles.
MAX_SUGGESTION_QUESTIONS = 50_000
MAX_SPELLER_ANSWERS = 20_000


def spread(count: int, most: int) -> list[int]:
    """`count` positions, or `most` of them evenly spread (first and last included)."""
    if count <= most:
        return list(range(count))
    return np.linspace(0, count - 1, most).round().astype(np.int64).tolist()


@dataclass(frozen=True)
class PageAids:
    suggestions: SuggestionIndex
    speller: Speller
    facets: TopicFacets
    related: RelatedQuestions
    questions: Sequence[Question]  # the index's (read from its catalog), in the order of the ranker's tables
    question_position: Callable[[str], int | None]  # question id -> its position (the catalog's lookup)

    def related_questions(self, question_ids: Sequence[str], limit: int) -> list[list[tuple[Question, float]]]:
        """For each question id, its `limit` nearest questions with their cosine, nearest first."""
        positions = [self.question_position(q) for q in question_ids]
        return [[(self.questions[r.position], r.similarity) for r in row] for row in self.related.of(positions, limit)]

    @classmethod
    def build(cls, ranker: Ranker) -> "PageAids":
        index, tables = ranker.index, ranker.index.tables
        questions = index.questions.at(spread(len(index.questions), MAX_SUGGESTION_QUESTIONS))
        answers = index.answers.at(spread(len(index.answers), MAX_SPELLER_ANSWERS))
        texts = [f"{q.title} {q.text}" for q in questions] + [a.answer for a in answers]
        return cls(suggestions=SuggestionIndex(questions), speller=Speller(texts),
                   facets=TopicFacets(tables.names["topics"], tables.answer_topics, tables.answer_question),
                   related=RelatedQuestions(index.question_store, tables.question_vector_id,
                                            tables.question_lookup_ids, tables.question_lookup_position),
                   questions=index.questions,
                   question_position=index.catalog.question_position)
