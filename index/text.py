"""Text cleaning and sentence splitting for CounselChat's scraped answers.

The scrape glued sentences together ("with.Seriously"), is full of non-breaking spaces and has
ragged whitespace. We clean for display and embedding, and keep the original text alongside.
"""
from __future__ import annotations

import re
import unicodedata

_UNICODE_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff\u200b]")
# A sentence end glued to the next sentence: "with.Seriously", "it!Then", "so).Next", "2010.The".
_GLUED_SENTENCE = re.compile(r"(?<=[a-z0-9][.!?])([\"'”’)]?)(?=[A-Z])")
_SPACES = re.compile(r"[ \t\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+|\n+")
_URLISH = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def clean_text(text: str) -> str:
    """Normalise unicode, spaces and glued sentences; keep paragraph breaks."""
    text = unicodedata.normalize("NFC", text or "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _UNICODE_SPACES.sub(" ", text)
    text = _unglue_sentences(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return _BLANK_LINES.sub("\n\n", text).strip()


def _unglue_sentences(text: str) -> str:
    """Insert the missing space after a sentence end, but never inside a URL or e-mail address."""
    protected = [(m.start(), m.end()) for m in _URLISH.finditer(text)]

    def fix(match: re.Match) -> str:
        pos = match.start()
        if any(start <= pos < end for start, end in protected):
            return match.group(1)
        return match.group(1) + " "

    return _GLUED_SENTENCE.sub(fix, text)


def one_line(text: str) -> str:
    """Collapse all whitespace (including paragraph breaks) to single spaces."""
    return " ".join(text.split())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of cleaned text: split at . ! ? before a space, and at
    line breaks. Offsets, not copies, so a passage can be highlighted inside the original answer."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start() if text[match.start()] == "\n" else match.end()
        if text[start:end].strip():
            spans.append(_strip_span(text, start, end))
        start = match.end()
    if text[start:].strip():
        spans.append(_strip_span(text, start, len(text)))
    return spans


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str) -> list[str]:
    """The sentences of cleaned text, each on one line."""
    return [one_line(text[start:end]) for start, end in sentence_spans(text)]


def question_key(link: str) -> str:
    """The stable id of a question: the last path segment of its CounselChat link."""
    path = (link or "").strip().split("?")[0].split("#")[0].rstrip("/")
    key = path.rsplit("/", 1)[-1]
    return key.strip()


def therapist_name(info: str, url: str) -> str:
    """The therapist's name from CounselChat's glued `therapistInfo` ("Sherry Katz, LCSWCouples ...").

    The profile URL's slug spells the name (and often credentials) in lower case, so we keep the
    longest prefix of `info` whose letters and digits follow the slug. Without a usable slug we keep
    the info as it is.
    """
    info = one_line(clean_text(info))
    slug = re.sub(r"-\d+$", "", question_key(url)).replace("-", "")
    if not slug:
        return info
    matched, end = 0, 0
    for pos, char in enumerate(info):
        if not char.isalnum():
            continue
        folded = unicodedata.normalize("NFKD", char.lower()).encode("ascii", "ignore").decode()
        if not folded or matched >= len(slug) or slug[matched] != folded[0]:
            break
        matched += 1
        end = pos + 1
        if matched == len(slug):
            break
    if matched == len(slug) or matched >= 4:
        return info[:end].rstrip(" ,")
    return info
