"""Related questions: a question's nearest questions by the vectors the index already holds.

Why: a person who found "How do I stop panic attacks?" often needs the neighbouring worries too
("Why do I panic in crowds?"). The question vectors (title + body, the combined view the ranker
reads: retriever/signals.py) are already in the question store, so a question's neighbours are one
nearest-neighbour search there, computed when asked: no question x question table, and no copy of
the vectors per worker (the store is mapped from the version, or lives in Milvus).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.store import VectorStore
from index.tables import lookup_positions

MAX_RELATED = 5


@dataclass(frozen=True)
class RelatedQuestion:
    position: int  # in LoadedIndex.questions
    similarity: float  # cosine of the two questions' vectors


class RelatedQuestions:
    def __init__(self, store: VectorStore, vector_ids: np.ndarray, lookup_ids: np.ndarray, lookup_position: np.ndarray):
        """`store`: the question vectors (combined view); `vector_ids[p]`: question p's vector id;
        `lookup_ids` / `lookup_position`: the vector ids sorted and their question positions (index/tables.py)."""
        self.store, self.vector_ids = store, vector_ids
        self.lookup_ids, self.lookup_position = lookup_ids, lookup_position

    def of(self, positions: list[int], limit: int = MAX_RELATED) -> list[list[RelatedQuestion]]:
        """For each question position, its `limit` nearest other questions, nearest first (equal
        similarity: the lower position first)."""
        if not positions or limit < 1 or len(self.vector_ids) < 2:
            return [[] for _ in positions]
        take = min(limit, len(self.vector_ids) - 1)
        queries = self.store.get_vectors(np.asarray(self.vector_ids)[positions])
        scores, ids = self.store.search(queries, take + 1)
        related = []
        for asked, row_scores, row_ids in zip(positions, scores, ids):
            found = lookup_positions(self.lookup_ids, self.lookup_position, row_ids)
            keep = (found >= 0) & (found != asked)  # never itself
            found, row_scores = found[keep], row_scores[keep]
            order = np.lexsort((found, -row_scores))[:take]
            related.append([RelatedQuestion(int(found[i]), float(row_scores[i])) for i in order])
        return related
