"""From ranker objects to API models (one place, shared by every route that returns answers)."""
from __future__ import annotations

from api.models import (AnswerDetail, ContextPassage, ContextResponse, DidYouMean, Highlight, IndexInfo, QuestionDetail,
                        QuestionGroup, RelatedQuestion, Safety, SafetyResource, SearchResponse, SearchResult, TopicCount,
                        TopicFacet, TopicsResponse)
from index.corpus import Answer
from index.layout import Manifest
from index.loader import LoadedIndex, Question
from retriever.context import ContextOutcome
from retriever.crisis_retrieval import SITUATION_LEVELS
from retriever.page_aids import PageAids
from retriever.ranking import RankedAnswer
from retriever.safety import Resource, SafetyVerdict
from retriever.service import SearchOutcome


def _answer_fields(answer: Answer) -> dict:
    return dict(answer_id=answer.answer_id, question_id=answer.question_id, question_title=answer.question_title,
                question_text=answer.question_text, question_url=answer.question_url, answer=answer.answer,
                topic=answer.topic, topics=answer.topics, therapist=answer.therapist, credentials=answer.credentials,
                therapist_url=answer.therapist_url, upvotes=answer.upvotes, views=answer.views)


def search_result(ranked: RankedAnswer, explain: bool = False) -> SearchResult:
    highlight = None
    if ranked.highlight is not None:
        p = ranked.highlight
        highlight = Highlight(start=p.start, end=p.end, text=ranked.answer.answer[p.start:p.end])
    return SearchResult(**_answer_fields(ranked.answer), score=round(ranked.score, 6),
                        confidence=round(ranked.confidence, 4), highlight=highlight,
                        signals={k: round(v, 4) for k, v in ranked.signals.items()} if explain else None)


def related_questions(aids: PageAids, question_ids: list[str], limit: int) -> list[list[RelatedQuestion]]:
    """Each question's nearest questions by vector, as the API shows them."""
    return [[RelatedQuestion(question_id=q.question_id, question_title=q.title, topics=list(q.topics),
                             answers=len(q.answer_ids), similarity=round(similarity, 4)) for q, similarity in row]
            for row in aids.related_questions(question_ids, limit)]


def question_groups(results: list[SearchResult], index: LoadedIndex, aids: PageAids | None = None,
                    related: int = 0) -> list[QuestionGroup]:
    """The results nested under their questions, in order of each question's first (best) answer; with
    `related`, each with its nearest questions."""
    groups: dict[str, QuestionGroup] = {}
    for result in results:
        group = groups.get(result.question_id)
        if group is None:
            question = index.question_by_id[result.question_id]
            group = groups[result.question_id] = QuestionGroup(
                question_id=question.question_id, question_title=question.title, question_text=question.text,
                question_url=question.url, topics=list(question.topics), score=result.score,
                confidence=result.confidence, answers=[], more_answers=len(question.answer_ids))
        group.answers.append(result)
        group.more_answers -= 1
    if aids is not None and related:
        for group, nearest in zip(groups.values(), related_questions(aids, list(groups), related)):
            group.related = nearest
    return list(groups.values())


def safety_resources(resources: list[Resource]) -> list[SafetyResource]:
    return [SafetyResource(name=r.name, contact=r.contact, url=r.url, description=r.description, emergency=r.emergency)
            for r in resources]


def safety_block(verdict: SafetyVerdict) -> Safety:
    return Safety(crisis=verdict.crisis, level=verdict.level, categories=list(verdict.categories),
                  subject=verdict.subject, language=verdict.language, message=verdict.message,
                  reply_instruction=verdict.reply_instruction, error=verdict.error,
                  resources=safety_resources(verdict.resources))


def search_response(outcome: SearchOutcome, index_version: str, *, index: LoadedIndex | None = None,
                    explain: bool = False, related: int = 0) -> SearchResponse:
    """The one way a search outcome becomes the API's response (the route and `search.py --json`);
    with `index`, the results are also grouped by question (`questions`), each with `related` nearest
    questions (none for `high` or `imminent`: what follows the help lines stays within their situations)."""
    results = [search_result(r, explain) for r in outcome.ranking.results]
    nearest = 0 if outcome.safety.level in SITUATION_LEVELS else related  # a concern keeps ordinary results
    spelling = outcome.spelling
    return SearchResponse(query=outcome.query, results=results,
                          questions=question_groups(results, index, outcome.aids, nearest) if index is not None else None,
                          took_ms=round(outcome.took_ms, 2), index_version=index_version,
                          safety=safety_block(outcome.safety), notice=outcome.safety.notice,
                          low_confidence=outcome.ranking.low_confidence,
                          facets=None if outcome.facets is None else [
                              TopicFacet(topic=f.topic, questions=f.questions, answers=f.answers) for f in outcome.facets],
                          did_you_mean=None if spelling is None else DidYouMean(
                              query=spelling.corrected, used=spelling.used, original=spelling.original))


def context_response(outcome: ContextOutcome, index_version: str) -> ContextResponse:
    packed = outcome.packed
    passages = [ContextPassage(number=p.number, answer_id=p.candidate.answer.answer_id,
                               question_id=p.candidate.answer.question_id,
                               question_title=p.candidate.answer.question_title,
                               question_url=p.candidate.answer.question_url, therapist=p.candidate.answer.therapist,
                               credentials=p.candidate.answer.credentials,
                               passage=p.text, start=p.candidate.passage.start, end=p.candidate.passage.end,
                               truncated=p.truncated, score=round(p.candidate.score, 6))
                for p in packed.passages]
    return ContextResponse(reply_instruction=outcome.search.safety.reply_instruction,
                           query=outcome.search.query, safety=safety_block(outcome.search.safety),
                           notice=outcome.search.safety.notice, context=packed.context, passages=passages, tokens=packed.tokens,
                           max_tokens=outcome.max_tokens, tokenizer=outcome.tokenizer,
                           duplicates_skipped=packed.duplicates_skipped, took_ms=round(outcome.took_ms, 2),
                           index_version=index_version)


def answer_detail(answer: Answer) -> AnswerDetail:
    return AnswerDetail(**_answer_fields(answer), answer_original=answer.answer_original)


def question_detail(index: LoadedIndex, aids: PageAids, question: Question, related: int) -> QuestionDetail:
    """A question with all its answers, most upvoted first (then by id: stable), and its nearest questions."""
    answers = sorted((index.answer_by_id[a] for a in question.answer_ids), key=lambda a: (-a.upvotes, a.answer_id))
    return QuestionDetail(question_id=question.question_id, question_title=question.title,
                          question_text=question.text, question_url=question.url, topics=list(question.topics),
                          answers=[answer_detail(a) for a in answers],
                          related=related_questions(aids, [question.question_id], related)[0] if related else [])


def index_info(manifest: Manifest, reload_error: str | None = None) -> IndexInfo:
    return IndexInfo(version=manifest.version, model=manifest.model, dimension=manifest.dimension,
                     answers=manifest.answers, questions=manifest.questions, passages=manifest.passages,
                     built_at=manifest.built_at, corpus_sha256=manifest.corpus_sha256, reload_error=reload_error)


def topics_response(index: LoadedIndex) -> TopicsResponse:
    return TopicsResponse(topics=[TopicCount(topic=t, answers=n) for t, n in index.topics.items()])
