"""Context cues: the words around a crisis-like phrase that change what it means.

"my grandpa killed himself in 1998", "as a nurse I saw an overdose", "the character jumps off a
bridge", "lol this exam is killing me", "right now", "my friend said she wants to die": the same
crisis words, said of the past, at work, in fiction, in jest, now, or of someone else. Each cue is
a named 0/1 feature the classifier (classifier.py) learns a weight for, and the check reads a few of
them directly (a strong past or fiction cue keeps an explicit lexicon match from deciding alone).
Patterns are matched on `normalize`d text (lower case, no accents, straight apostrophes), English
and Spanish together.
"""
from __future__ import annotations

import re
import unicodedata

CUE_PATTERNS: dict[str, str] = {
    # the danger is over, or long ago
    "past": r"\b(?:\d+|a\s+(?:few|couple(?:\s+of)?)|several|many|some|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
            r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty)\s+(?:years?|decades?)\s+"
            r"(?:ago|back|later|out|since|clean|free|sober)\b"
            r"|\bwhen\s+(?:i|she|he|we|they)\s+(?:was|were)\s+(?:a\s+kid|little|young|younger|a\s+teen\w*|in\s+\w+|\d+)"
            r"|\bas\s+a\s+(?:kid|child|teen(?:ager)?|young\s+(?:wo)?man|little\s+(?:boy|girl))\b"
            r"|\b(?:back\s+in|during)\s+(?:my\s+)?(?:middle\s+school|high\s+school|college|uni|university|\d+(?:st|nd|rd|th)\s+grade|the\s+day|(?:19|20)\d\d|my\s+(?:teens|twenties))\b"
            r"|\bin\s+(?:19[5-9]\d|200\d|201\d|2020|2021)\b|\bin\s+the\s+(?:fifties|sixties|seventies|eighties|nineties|'?[5-9]0s|[5-9]0s)\b"
            r"|\bused\s+to\b|\blong\s+(?:time\s+)?ago\b|\bgrowing\s+up\b|\bin\s+my\s+(?:teens|twenties|youth|childhood)\b"
            r"|\b(?:clean|sober)\s+(?:for|since)\b|\bhaven'?t\s+(?:cut|self[- ]?harmed|hurt\s+myself|done\s+it)\s+(?:in|for|since)\b"
            r"|\bin\s+recovery\b|\brecovered\b|\bold\s+(?:self[- ]?harm\s+)?(?:scars?|clipping|newspaper|wounds?)\b"
            r"|\bat\s+(?:1\d|[2-9]\d)\b.{0,60}\b(?:i'?m|i\s+am|now)\s+(?:\d+|\w+\s+now)\b|\b(?:i'?m|i\s+am)\s+\d+\s+now\b"
            r"|\bhace\s+(?:\w+\s+)?anos\b|\bde\s+(?:nino|nina|chico|chica|pequeno|pequena|adolescente)\b|\bcuando\s+(?:era|tenia)\b",
    # the danger is over now: safe, well, the person who did it gone
    "resolved": r"\b(?:i'?m|im|i\s+am|she'?s|she\s+is|he'?s|he\s+is|they'?re|we'?re)\s+(?:\w+\s+)?(?:safe|fine\s+now|happy|thriving|doing\s+(?:great|well|better|good|fine))\b"
                r"|\b(?:well|safe|fine|happy|stable)\s+(?:for|since)\s+(?:years|a\s+long\s+time|\d+)\b|\b(?:is|is\s+now|went)\s+(?:in\s+)?(?:prison|jail)\b"
                r"|\bit'?s\s+(?:over|behind\s+me)\b|\brebuilt\s+my\s+life\b|\bestoy\s+bien\s+ahora\b",
    "deceased": r"\bdied\b|\bpassed\s+away\b|\bfuneral\b|\bdied\s+by\s+suicide\b|\b(?:killed|hanged|shot)\s+(?:him|her|them)sel(?:f|ves)\b"
                r"|\btook\s+(?:his|her|their)\s+(?:own\s+)?life\b|\blost\s+(?:my|our|his|her)\s+\w+\s+to\s+suicide\b|\bgrave\b|\bmy\s+late\b"
                r"|\bmurio\b|\bfallecio\b|\bse\s+suicido\b",
    "professional": r"\bas\s+an?\s+(?:nurse|doctor|physician|paramedic|emt|medic|therapist|counselor|counsellor|psychologist|psychiatrist|social\s+worker|teacher|cop|police\s+officer|officer|firefighter|pharmacist|moderator|volunteer|chaplain|dispatcher|crisis\s+worker)\b"
                    r"|\bmy\s+(?:patients?|clients?|students?|caseload)\b|\b(?:on|during)\s+my\s+shift\b|\bi\s+work\s+(?:in|at|as)\b|\bat\s+work\s+(?:we|today)\b|\bin\s+the\s+(?:er|icu|ward|clinic)\b"
                    r"|\bmis\s+pacientes\b|\bcomo\s+(?:enfermera|enfermero|medico|medica|psicologa|psicologo|maestra|maestro)\b",
    "fiction": r"\b(?:movie|film|show|series|episode|season|novel|book|story|character|characters|game|gaming|song|lyrics|poem|play|anime|manga|comic|fanfic|fan\s+fiction|script|scene|villain|protagonist|dnd|d&d|netflix)\b"
               r"|\bi'?m\s+writing\b|\bpelicula\b|\bnovela\b|\bpersonaje\b|\bcancion\b|\bserie\b|\bvideojuego\b",
    "news_research": r"\b(?:news|article|headline|report|statistics|stats|research|study|studies|paper|essay|homework|assignment|thesis|documentary|podcast|true\s+crime|journalism|survey|class\s+project|school\s+project|presentation)\b"
                     r"|\bnoticias?\b|\binvestigacion\b|\btarea\b|\bensayo\b|\bdocumental\b",
    "someone_else": r"\bmy\s+(?:\w+\s+)?(?:friend|bestie|bff|son|daughter|brother|sister|bro|sis|mom|mum|mother|dad|father|wife|husband|partner|boyfriend|girlfriend|bf|gf|student|roommate|cousin|child|kid|teen|teenager|niece|nephew|grandson|granddaughter|coworker|classmate|neighbou?r|ex)\b"
                    r"|\b(?:him|her|them)sel(?:f|ves)\b|\b(?:he|she)\s+(?:said|says|told|texted|posted|wants|is|has|keeps|won'?t)\b"
                    r"|\bmi\s+(?:amig[oa]|hij[oa]|herman[oa]|mama|papa|madre|padre|espos[oa]|novi[oa]|pareja|prim[oa])\b",
    "now": r"\bright\s+now\b|\btonight\b|\btoday\b|\bthis\s+(?:morning|afternoon|evening)\b|\bjust\s+(?:took|swallowed|cut|did\s+it|drank|downed|sent)\b"
           r"|\b(?:an?|one|two|three|\d+)\s+(?:hours?|minutes?|mins?|hrs?)\s+ago\b|\bin\s+my\s+hand\b|\bin\s+front\s+of\s+me\b|\bon\s+the\s+(?:bridge|roof|ledge|tracks|edge)\b"
           r"|\babout\s+to\b|\bbefore\s+(?:morning|sunrise|dawn|anyone\s+wakes)\b|\boutside\s+(?:my|the)\s+(?:door|house|window)\b|\bgoodbye\b|\bbye\s+(?:everyone|all|guys)\b"
           r"|\bwon'?t\s+be\s+(?:here|around)\s+tomorrow\b|\blast\s+(?:message|post|text|time)\b|\bahora\s+mismo\b|\besta\s+noche\b|\bhoy\b|\badios\b|\bya\s+me\s+tome\b",
    "asks_how": r"\bhow\s+(?:many|much|long|tall|high|far|deep)\b|\bwhat\s+(?:is|'s)\s+the\s+(?:lethal|fatal|max|maximum)\b|\blethal\s+dose\b|\bcuant[oa]s\b",
    "jest": r"\b(?:lol|lmao|lmfao|rofl|haha\w*|jk|jaja\w*|xd)\b|😂|🤣|💀|😭"
            r"|\b(?:hungover|embarrass\w*|embarass\w*|cringe\w*|my\s+crush|this\s+(?:lag|wifi|homework|essay|exam|test|class|traffic|heat))\b",
    "denial": r"\b(?:i'?m|i\s+am|im)\s+not\s+(?:suicidal|going\s+to\s+(?:hurt|kill)\s+myself|in\s+danger)\b|\bi\s+would\s+never\b|\bno\s+(?:thoughts?|plans?)\s+of\b|\bnot\s+(?:that\s+)?i\s+(?:want|would)\b",
    "first_person": r"\b(?:i|i'?m|im|me|my|myself)\b|\b(?:yo|me|mi|conmigo)\b",
    "question": r"\?|^(?:how|what|why|is|are|can|should|do|does|when|where|who)\b",
}
CUE_NAMES = tuple(CUE_PATTERNS)
_CUES = {name: re.compile(pattern) for name, pattern in CUE_PATTERNS.items()}

# Spanish function words: enough of them and the message is answered with Spanish resources.
_SPANISH = frozenset("que de no me la el y en mi es por con para lo se una un ya quiero estoy pero mas como yo "
                     "esta este muy todo nada porque tengo siento vida mis su al del los las le".split())
_ENGLISH = frozenset("the and to of i my is it in that me you for this was with have not but be so just do "
                     "what are on at can like im dont feel want".split())
_WORD = re.compile(r"[a-z']+")


def normalize(text: str) -> str:
    """Lower case, accents removed, straight apostrophes, single spaces: what every pattern reads."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    if not text.isascii():  # ASCII has no accents to take off (and NFKD leaves it as it is)
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.split())


def cues(normalized: str) -> dict[str, bool]:
    """Which cues `normalized` (see `normalize`) shows."""
    return {name: pattern.search(normalized) is not None for name, pattern in _CUES.items()}


def language(normalized: str) -> str:
    """`es` when the message reads as Spanish (more Spanish than English function words), else `en`."""
    words = _WORD.findall(normalized)
    spanish = sum(w in _SPANISH for w in words)
    english = sum(w in _ENGLISH for w in words)
    return "es" if spanish >= 2 and spanish > english else "en"
