"""Related questions: a question's nearest questions by the vectors the index already holds.

Why: a person who found "How do I stop panic attacks?" often needs the neighbouring worries too
("Why do I panic in crowds?"). The question vectors (title + body, the combined view the ranker
reads: retriever/signals.py) are already in memory, so a question's neighbours are one product
with the question matrix (824 x 384 for CounselChat: a few microseconds), computed when asked
instead of a question x question table held for every loaded index.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_RELATED = 5


@dataclass(frozen=True)
class RelatedQuestion:
    position: int  # in LoadedIndex.questions
    similarity: float  # cosine of the two questions' vectors


class RelatedQuestions:
    def __init__(self, vectors: np.ndarray):
        """`vectors`: (questions, dimension) unit vectors, in the order of LoadedIndex.questions."""
        self.vectors = np.asarray(vectors, dtype=np.float32)

    def of(self, positions: list[int], limit: int = MAX_RELATED) -> list[list[RelatedQuestion]]:
        """For each question position, its `limit` nearest other questions, nearest first."""
        if not positions or limit < 1 or len(self.vectors) < 2:
            return [[] for _ in positions]
        scores = self.vectors[positions] @ self.vectors.T  # (asked, questions)
        scores[np.arange(len(positions)), positions] = -np.inf  # never itself
        take = min(limit, len(self.vectors) - 1)
        related = []
        for row in scores:
            top = np.argpartition(-row, take - 1)[:take]
            top = top[np.lexsort((top, -row[top]))]
            related.append([RelatedQuestion(int(p), float(row[p])) for p in top])
        return related
