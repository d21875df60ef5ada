"""Questions: what the answers of a corpus were written to, one record per question link.

A corpus is a list of answers, each carrying its question's fields; the distinct questions are
derived from them (first-seen order, topics merged), embedded whole (title + body) and by view
(title, body apart), and kept in the catalog beside the answers (index/catalog.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from index.passages import vector_id

if TYPE_CHECKING:
    from index.corpus import Answer

# How a question is matched besides title + body as one text: each view embedded apart, each in its own
# store (index/backends.py), so the closer view counts (retriever/signals.py).
QUESTION_VIEWS = ("title", "body")


def question_text_for_embedding(title: str, text: str) -> str:
    """What a question is embedded as: its title, then its body."""
    return " ".join(f"{title} {text}".split())


@dataclass
class Question:
    question_id: str
    vector_id: int
    title: str
    text: str
    url: str
    topics: list[str]
    answer_ids: list[str] = field(default_factory=list)

    @property
    def embedding_text(self) -> str:
        return question_text_for_embedding(self.title, self.text)

    def view_texts(self) -> tuple[str, str]:
        """The texts of QUESTION_VIEWS: title and body apart (an empty body falls back to the title).

        A worry is short like a title; a long body dilutes a title+body vector. Matching each part
        apart lets the closer one count (retriever/ranking.py).
        """
        title = " ".join(self.title.split())
        return title, " ".join(self.text.split()) or title


def questions_of(answers: list["Answer"]) -> list[Question]:
    """The distinct questions of a list of answers, in first-seen order, with merged topics."""
    questions: dict[str, Question] = {}
    for answer in answers:
        question = questions.get(answer.question_id)
        if question is None:
            question = questions[answer.question_id] = Question(
                answer.question_id, vector_id("q:" + answer.question_id), answer.question_title,
                answer.question_text, answer.question_url, [])
        question.answer_ids.append(answer.answer_id)
        question.topics.extend(t for t in answer.topics if t not in question.topics)
    return list(questions.values())
