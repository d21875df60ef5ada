"""The classifier's input for one message: its query vector, hashed words, context cues, lexicon hits.

- the query vector the search computes anyway (no second encoding), for paraphrases;
- hashed word unigrams and bigrams and character 3-5-grams of each word (crc32 into `BUCKETS`
  buckets), for slang, misspellings and Spanish, which the English encoder reads poorly;
- the context cues (cues.py) and the lexicon's affirmed and negated families (lexicon.py), named.
Written once and used by training (scripts/train_safety.py) and by the check, so both see exactly
the same features.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

from retriever.safety.cues import CUE_NAMES, cues, language, normalize
from retriever.safety.lexicon import CATEGORIES, LexiconMatch, scan

BUCKETS = 1 << 15
# Cues that change what crisis words mean when they sit in the same sentence as them.
CONTEXT_CUES = ("past", "resolved", "deceased", "professional", "fiction", "news_research", "jest")
NAMED = (*(f"cue:{c}" for c in CUE_NAMES), "lang:es", "idioms",
         *(f"lexicon:{f}" for f in CATEGORIES), *(f"negated:{f}" for f in CATEGORIES), *(f"topic:{f}" for f in CATEGORIES),
         "lexicon:any",
         "explicit:plain", "explicit:in_context", "explicit:plain_now", "explicit:plain_first_person")
_WORD = re.compile(r"[a-z0-9']+|[^\sa-z0-9']")
_SENTENCE_END = re.compile(r"[.!?;\n]|\s(?:but|pero)\s")


@dataclass
class Reading:
    """What the check reads of one message before the model scores it."""

    normalized: str
    lexicon: LexiconMatch
    cues: dict[str, bool]
    language: str
    named: np.ndarray  # values of NAMED, float32
    hashed: np.ndarray  # sorted distinct bucket indices (int64) of the message's n-grams
    explicit_plain: set[str]  # families of explicit matches in a sentence with no context cue (past, fiction...)


def read(text: str) -> Reading:
    normalized = normalize(text)
    found = scan(text)
    shown = cues(normalized)
    lang = language(normalized)
    values = [float(shown[c]) for c in CUE_NAMES] + [float(lang == "es"), float(min(found.idioms, 3))]
    values += [float(f in found.categories) for f in CATEGORIES] + [float(f in found.negated) for f in CATEGORIES]
    values += [float(f in found.topics) for f in CATEGORIES]
    values.append(float(bool(found.categories)))
    plain, in_context, plain_now, plain_first = set(), 0, 0, 0
    for family, start, end in found.spans:
        around = cues(sentence_around(normalized, start, end))
        if any(around[c] for c in CONTEXT_CUES):
            in_context += 1
            continue
        plain.add(family)
        plain_now += around["now"]
        plain_first += around["first_person"]
    values += [float(min(len(found.spans) - in_context, 3)), float(min(in_context, 3)), float(min(plain_now, 1)),
               float(min(plain_first, 1))]
    return Reading(normalized, found, shown, lang, np.asarray(values, dtype=np.float32), hashed_ngrams(normalized),
                   plain)


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence of `text` holding [start, end) (sentences end at . ! ? ; a new line, or "but")."""
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right = next((m.start() for m in _SENTENCE_END.finditer(text, end)), len(text))
    return text[left:right]


def hashed_ngrams(normalized: str) -> np.ndarray:
    """Distinct buckets of the word 1-2-grams and in-word character 3-5-grams of `normalized` text."""
    words = _WORD.findall(normalized)
    grams = [f"w:{w}" for w in words] + [f"b:{a} {b}" for a, b in zip(words, words[1:])]
    for word in words:
        padded = f"<{word}>"
        grams += [f"c:{padded[i:i + n]}" for n in (3, 4, 5) for i in range(len(padded) - n + 1)]
    return np.unique(np.fromiter((zlib.crc32(g.encode()) % BUCKETS for g in grams), dtype=np.int64, count=len(grams)))
