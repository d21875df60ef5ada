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


#: Words a profile URL's slug may start with that the displayed name leaves out ("ms-jane-doe-city").
_SLUG_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "rev"})
#: Where a name ends and what follows it begins: "Jane Doe, LPC", "Jane Doe | Holistic Therapy".
_AFTER_NAME = re.compile(r"\s*,\s*|\s+\|\s*")
#: Letters written after a name without a comma: "Jane Doe LPC", "Jane Doe M.Ed.", "Jane Doe PhD.".
_LETTERS = re.compile(r"(?:[A-Z]{2,}[A-Z0-9/-]*|Ph\.?D|Psy\.?D|Ed\.?D|M\.?Ed|M\.?A|M\.?S|(?:[A-Z]\.){2,}[A-Z]?)\.?")


def therapist_parts(info: str, url: str) -> tuple[str, str]:
    """(name, credentials) from CounselChat's glued `therapistInfo` ("Jane Doe, LCSWCouples Therapist").

    The scrape ran the name, the letters after it and the profile's title line together. The profile
    URL's slug spells the name (often with the letters) in lower case, so the longest prefix of `info`
    whose letters and digits follow the slug is the name part; a slug may start with a title the info
    leaves out ("ms-"), and drops letters it cannot spell ("Ström" -> "str-m"). The name part is cut at
    its first comma or " | ": the name, then post-nominal letters. `credentials` is those letters and
    the title line, as written ("LCSW, Couples Therapist"); "" when there are none. Without a usable
    slug the info is kept whole as the name.
    """
    info = one_line(clean_text(info))
    words = [w for w in re.sub(r"-\d+$", "", question_key(url)).split("-") if w]
    ends = [_slug_prefix_end(info, "".join(words[skip:]))
            for skip in range(len(words)) if all(w in _SLUG_TITLES for w in words[:skip])]
    end = max(ends, default=None)
    if not end:
        return info, ""
    head, rest = info[:end], info[end:]
    if rest.startswith("."):  # "Psy. D.It's never too late", "M.Ed. LPCA": the dot ends the letters
        rest = rest[1:]
        if re.search(r"(?:\b[A-Z]|[A-Z]{2,}|[a-z]D|Ed)$", head):
            head += "."
    name, credentials = (_AFTER_NAME.split(head, maxsplit=1) + [""])[:2]
    words = name.split()
    letters = []
    while len(words) > 1 and any(c.islower() for c in name) and _LETTERS.fullmatch(words[-1]):  # not "JANE DOE"
        letters.insert(0, words.pop())
    name = " ".join(words)
    parts = [part.strip(" ,|-") for part in (" ".join(letters), credentials, rest)]
    return name.strip(" ,|-"), ", ".join(part for part in parts if part)


def _slug_prefix_end(info: str, slug: str) -> int:
    """End of the longest prefix of `info` spelled by `slug` (0 when under 4 letters of a longer slug)."""
    matched, end = 0, 0
    for pos, char in enumerate(info):
        if matched == len(slug):
            break
        if not char.isalnum():
            continue
        folded = unicodedata.normalize("NFKD", char.lower()).encode("ascii", "ignore").decode()
        if folded and slug[matched] == folded[0]:
            matched, end = matched + 1, pos + 1
        elif char.isascii():
            break
        # else: a letter the slug could not spell, skipped
    return end if slug and (matched == len(slug) or matched >= 4) else 0
