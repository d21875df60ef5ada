"""Topic facets: how many of a query's matching questions and answers fall under each topic.

Why: a person who searched "i can't stop worrying" sees at a glance that the answers spread over
anxiety, sleep and work, and narrows to one with a chip, keeping the query (the page, docs/page.md).

Why over the ranker's candidates: the matching set of a semantic search is what its sources
retrieved (question views, passages, BM25: retriever/signals.py), several hundred answers, not only
the page shown. Counting them reads the candidates' rows of the index's topic bits (index/tables.py, mapped from
the version), in proportion to the candidates, never to the corpus. Counts are over the
query's set without its topic filter, so choosing a topic keeps the other chips and their counts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TopicFacet:
    topic: str
    questions: int  # matching questions under the topic
    answers: int  # matching answers under the topic


class TopicFacets:
    def __init__(self, topics: list[str], answer_topics: np.ndarray, answer_question: np.ndarray):
        """`topics`: the index's topic keys, bit t of a row standing for `topics[t]`; `answer_topics`: the
        (answers, words) uint64 topic bits of the index's tables (mapped from the version: nothing is
        copied per worker); `answer_question[i]`: answer i's question position."""
        self.topics = list(topics)
        self.answer_topics = answer_topics
        self.answer_question = answer_question

    def count(self, positions: np.ndarray) -> list[TopicFacet]:
        """Per topic the matching questions and answers among answer `positions`, most questions first."""
        positions = np.asarray(positions, dtype=np.int64)
        if not len(positions):
            return []
        words = np.asarray(self.answer_topics[positions], dtype=np.uint64)  # only the candidates' rows
        bit = np.arange(len(self.topics))
        rows = ((words[:, bit // 64] >> (bit % 64).astype(np.uint64)) & np.uint64(1)).astype(np.int32)
        answers = rows.sum(axis=0)
        # a question counts once under each topic of any of its matching answers
        _, group = np.unique(self.answer_question[positions], return_inverse=True)
        by_question = np.zeros((group.max() + 1, len(self.topics)), dtype=np.int32)
        np.maximum.at(by_question, group, rows)
        questions = by_question.sum(axis=0)
        facets = [TopicFacet(topic, int(q), int(a)) for topic, q, a in zip(self.topics, questions, answers) if a]
        return sorted(facets, key=lambda f: (-f.questions, -f.answers, f.topic))
