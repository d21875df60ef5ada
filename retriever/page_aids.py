"""What a search page offers besides the ranking, built once per loaded index.

Suggestions (suggest.py), the speller (spelling.py), topic facets (facets.py) and related
questions (related.py) all read the index: they are built together, from the ranker of the index
they belong to, when an index is loaded or swapped in (retriever/service.py `Serving`), never per
query. The ranker's own tables are reused (each answer's question, the question vectors), so
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
        index = ranker.index
        questions = list(index.questions)  # one read of the catalog for the words, topics and titles
        texts = [f"{q.title} {q.text}" for q in questions] + [a.answer for a in index.answers]
        vectors = index.question_store.get_vectors(np.asarray(index.tables.question_vector_id))  # the combined view
        return cls(suggestions=SuggestionIndex(questions), speller=Speller(texts),
                   facets=TopicFacets(list(index.topics), [a.topics for a in index.answers], ranker.answer_question),
                   related=RelatedQuestions(vectors), questions=index.questions,
                   question_position=index.catalog.question_position)
