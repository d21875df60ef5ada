"""The curated crisis lexicon: phrases and patterns that signal danger, and the idioms that only look like it.

Why a lexicon as well as embeddings: explicit statements ("I want to kill myself", "I took a bunch of
pills") must be caught every time, misspelled or not, and a pattern can say exactly why it fired.
Embeddings (see `prototypes.py`) catch the paraphrases no list foresees.

How a query is read:
1. `normalize`: lower case, straight apostrophes, one space, common misspellings folded inside the
   patterns themselves ("kil myself", "suicde", "sucide", "myslef").
2. Idioms are blanked out first ("this job is killing me", "die of embarrassment", "kill time",
   "killing it at work", "cut myself some slack", "career suicide"), so they can neither fire a
   pattern nor count as a negation.
3. Every crisis pattern is matched. A match is *negated* when, in the same clause, it is directly
   preceded by a negation ("I'm not suicidal", "I would never hurt myself", "no thoughts of suicide"),
   allowing only a few filler words between them ("don't want to", "have never been"). Patterns whose
   meaning *is* a negation ("I don't want to live anymore", "life isn't worth living") are written
   as crisis patterns and are never negated.
4. A child word ("my 7 year old", "my teenage son", "my daughter") next to any crisis match adds the
   `child_at_risk` category.

Negation policy (erring toward help): a negated mention alone does not flag a query, but any other,
un-negated crisis signal in the same query does ("I'm not suicidal but I have pills saved up"), and a
denial followed by "but ..." leaves the rest to the semantic check ("I'd never kill myself, but I
think about it every night").
Hedges are not negations: "not sure I want to live", "can't stop thinking about killing myself" flag.
Past tense is not a negation either: "I used to cut myself" flags (relapse risk; help costs nothing).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from retriever.safety.cues import normalize as normalize_text
from retriever.safety.taxonomy import (CHILD_AT_RISK, FAMILIES, HARM_TO_OTHERS, MEDICAL, OVERDOSE, PSYCHOSIS,
                                       SELF_HARM, SUICIDE, VIOLENCE)

CATEGORIES = FAMILIES  # what a match names: the taxonomy's families

# Building blocks (spelling-tolerant where people in a hurry misspell).
SELF = r"(?:my\s?s[ae]l?f|myslef|mysef|mysefl|meself|my\s+own\s+self)"
THIRD_SELF = r"(?:him\s?self|her\s?self|them\s?sel(?:f|ves))"
KILL = r"(?:k+i+l+l*|kil)(?:s|ing|in|ed)?"
SUICIDE_WORD = r"(?:s+u+[i1]?c+[i1]+d+e?\w*|s+u+i+s+i+d+e?\w*|sucide\w*|suicde\w*|suacide\w*|sewer\s?slide|unalive)"
DIE = r"(?:die|dye|d[iy]e+)"
WANT = r"(?:want(?:s|ed)?\s+to|wanna|wish(?:ed)?\s+(?:i\s+)?(?:could|to)|would\s+like\s+to|going\s+to|gonna|plan(?:ning|s|ned)?\s+(?:to|on))"
PILLS = r"(?:pills?|tablets?|meds|medications?|medicine|sleeping\s+pills|painkillers?|tylenol|acetaminophen|paracetamol|ibuprofen|advil|xanax|benzos?|oxy\w*|opioids?|insulin|antidepressants?|prescriptions?)"
LOTS = r"(?:an?\s+(?:entire\s+|whole\s+)?bottle\s+of|the\s+(?:entire\s+|whole\s+)?bottle\s+of|a\s+bunch\s+of|bunch\s+of|a\s+lot\s+of|lots\s+of|too\s+many|so\s+many|a\s+handful\s+of|handful\s+of|all\s+(?:of\s+)?(?:my|the)|the\s+whole|a\s+whole|whole|an?\s+(?:entire\s+)?bottle\s+of|\d+|twenty|thirty|fifty|extra|double)"
RELATION = (r"(?:husband|wife|boyfriend|girlfriend|partner|bf|gf|ex|fianc\w*|spouse|dad|father|mom|mum|mother|"
            r"stepdad|stepfather|stepmom|stepmother|brother|sister|parents?|uncle|aunt|grandpa|grandfather|cousin|"
            r"roommate|boss|coach|teacher|neighbou?r)\b")
INTIMATE = (r"(?:husband|wife|boyfriend|girlfriend|partner|bf|gf|ex|fianc\w*|spouse|dad|father|mom|mum|mother|"
            r"stepdad|stepfather|stepmom|stepmother|parents?)\b")
PERSON = rf"(?:he|she|they|my\s+(?:[\w']+\s+){{0,2}}{RELATION})"
# A speaker who says they are a minor ("i'm 13", "i am only 9"), not a duration or a weight ("i'm 15 minutes late").
MINOR_SELF = r"(?:\bi'?m\s+(?:only\s+|just\s+)?(?:[5-9]|1[0-7])\b|\bi\s+am\s+(?:only\s+|just\s+)?(?:[5-9]|1[0-7])\b)(?!\s*(?:%|percent|minutes|hours|days|weeks|months|pounds|lbs|kg|times))"
CHILD = (r"(?:\b(?:my|our|his|her|their)\s+(?:\w+\s+){0,2}(?:son|daughter|child|children|kids?|baby|babies|toddler|"
         r"teen|teenager|boy|girl|stepson|stepdaughter|grandson|granddaughter|niece|nephew|student)\b|"
         r"(?:\b(?:my|our|his|her)\s+)?(?:little|baby|younger|kid)\s+(?:brother|sister|sibling)s?\b|"
         rf"\b(?:[1-9]|1[0-7])[- ]?(?:year|yr)s?[- ]?old|{MINOR_SELF}|\bmy\s+little\s+(?:one|boy|girl)|\bchild\b|\bkid\b)")
FEAR = r"(?:scared|afraid|terrified|fear|frightened|unsafe|not\s+safe|in\s+danger)"
# An older person in a child's life (who can abuse without hitting): the frame of child sexual abuse.
ADULT = (r"(?:(?:my|her|his|their)\s+(?:[\w']+\s+){0,2}(?:stepdad|step\s+dad|stepfather|step\s+father|stepbrother|step\s+brother|"
         r"stepmom|stepmother|dad|father|uncle|grandpa|grandfather|cousin|friend|older\s+brother|"
         r"babysitter|coach|teacher|neighbou?r|pastor|tutor)|(?:my\s+(?:mom|mum|mother|moms|mums)'?s?\s+(?:new\s+)?|her\s+|his\s+)"
         r"(?:boyfriend|husband)|he|she)\b")
NIGHT = r"(?:at\s+night|every\s+night|tonight|nights|asleep|sleeping|in\s+my\s+sleep|again)"

# Idioms: blanked out before anything else is matched.
IDIOMS = [
    r"\bkill(?:ing)?\s+(?:some\s+)?time\b",
    r"\b(?:is|are|was|were|'s|'re|it's|its|been|keeps?|be)\s+killing\s+me\b(?!\s+(?:with\s+a|if|when))",
    r"\bkilling\s+(?:it|them|the\s+game)\b",
    r"\b(?:kill|killing|killed)\s+(?:it|the\s+mood|the\s+vibe|two\s+birds)\b",
    r"\bkill(?:ing|ed)?\s+(?:my|the)\s+(?:buzz|mood|vibe|appetite|motivation|productivity|battery|phone)\b",
    r"\bkill(?:ing)?\s+myself\s+(?:laughing|working|trying|over\s+(?:small|little|every|a|the|minor)|at\s+the\s+gym|to\s+(?:finish|get|make|meet|keep|please|study|pass))",
    r"\bcould\s+(?:just\s+)?kill\s+myself\s+for\b",
    r"\b(?:kill|murder|strangle)\s+(?:him|her|them|my\s+[\w']+(?:\s+[\w']+)?)\s+for\s+(?:eating|taking|being|doing|saying|making|using|reading|breaking|borrowing|losing|forgetting|not)\b",
    r"\b(?:will|would|is\s+going\s+to|gonna|'ll|going\s+to)\s+kill\s+me\s+(?:if|when)\s+(?:she|he|they|i)\s+(?:finds?|found|sees?|hears?|knew|know|learns?)",
    r"\b(?:die|died|dying|dead)\s+(?:of|from|with)\s+(?:embarrassment|shame|laughter|laughing|boredom|cuteness|curiosity|jealousy|envy)\b",
    r"\b(?:die|died|dying)\s+laughing\b",
    r"\bdie\s+(?:a\s+little\s+)?inside\b",
    r"\bdying\s+(?:to|for)\b",
    r"\bto\s+die\s+for\b",
    r"\b(?:career|social|political|commercial|financial|professional)\s+suicide\b",
    r"\bsuicide\s+(?:squad|doors?|run|sprints?|king|blonde)\b",
    r"\bcut(?:ting)?\s+(?:myself|me)\s+(?:some\s+)?slack\b",
    r"\bcut(?:ting)?\s+myself\s+off\b",
    r"\bcut\s+myself\s+(?:shaving|cooking|chopping|by\s+accident|accidentally|on\s+a\s+(?:paper|can|knife))",
    r"\bhurt\s+myself\s+(?:playing|at\s+the\s+gym|lifting|working\s+out|running|skiing|in\s+(?:a|the)\s+(?:game|match|fall))",
    r"\bburn(?:ing|ed|t)?\s+myself\s+out\b",
    r"\bshoot(?:ing)?\s+myself\s+in\s+the\s+foot\b",
    r"\boverdos\w*\s+on\s+(?:caffeine|coffee|sugar|chocolate|candy|netflix|tv|television|social\s+media|drama|cuteness|information|carbs)\b",
    r"\bdead\s+(?:tired|on\s+my\s+feet|end|set|serious|wrong|right)\b",
    r"\bdrop[- ]dead\b",
    r"\bbang(?:ing)?\s+my\s+head\s+(?:against|on)\s+(?:a|the)\s+wall\b",
]

# Crisis patterns by category. Patterns that are negations in form are meant as crisis statements.
PATTERNS: dict[str, list[str]] = {
    SUICIDE: [
        rf"\b{KILL}\s+{SELF}",
        rf"\b{KILL}\s+{THIRD_SELF}",
        rf"\b(?:i\'?m|i\s+am|im|i\s+feel|feel(?:ing)?|be|been|getting|felt|become|became)\s+(?:so\s+|really\s+|very\s+|kinda\s+|pretty\s+|super\s+|a\s+bit\s+|a\s+little\s+)?{SUICIDE_WORD}",
        rf"\b(?:i\s+have|i\'?ve\s+(?:been\s+)?(?:having|had)|having|i\s+get|i\s+keep\s+having)\s+(?:(?!never\b|not\b|no\b)\w+\s+){{0,2}}(?:{SUICIDE_WORD}\s+(?:thoughts?|urges?|ideation|feelings?)|thoughts?\s+(?:of|about)\s+{SUICIDE_WORD})",
        rf"\b(?:want|wanna|going|gonna|plan\w*|think\w*\s+(?:about|of)|thinking|consider\w*|ready|decided)\s+(?:to\s+|of\s+|about\s+|on\s+)?(?:commit\w*\s+|attempt\w*\s+|doing\s+)?{SUICIDE_WORD}",
        rf"\b(?:commit|attempt)\s+{SUICIDE_WORD}",
        r"\bkms\b",
        rf"\bunaliv\w*\s+(?:{SELF}|{THIRD_SELF})",
        r"\bend(?:ing|ed|s)?\s+(?:my|his|her|their)\s+(?:own\s+)?li(?:fe|ves)\b",
        r"\bend(?:ing)?\s+it\s+all\b",
        r"\b(?:take|taking|took)\s+(?:my|his|her|their)\s+own\s+li(?:fe|ves)\b",
        r"\btake\s+my\s+life\b",
        rf"\b{WANT}\s+(?:just\s+)?{DIE}\b",
        rf"\b(?:want|wants|wanted|wanting|wish|wishing|ready|deserve)\s+(?:to\s+)?(?:be\s+)?dead\b",
        rf"\bwish\s+(?:i|he|she)\s+(?:was|were|had)\s+(?:dead|never\s+been\s+born|not\s+born)\b",
        r"\bwish\s+i\s+(?:didn'?t|did\s+not|could\s+just|could)\s+(?:exist|wake\s+up|disappear|vanish|sleep\s+forever)",
        r"\b(?:don'?t|do\s+not|dont|doesn'?t|does\s+not|no\s+longer)\s+(?:really\s+)?(?:want|wanna|wish)\s+(?:to\s+)?(?:live|be\s+alive|exist|be\s+here|wake\s+up|go\s+on|keep\s+going|keep\s+living|be\s+around)"
        r"(?=\s*(?:$|[.,;:!?]|any\s*more|any\s+longer|tomorrow|today|again|ever|at\s+all|in\s+the\s+morning|like\s+this|in\s+this\s+world|with\s+(?:life|this)|but|and|because|so|since|,))",
        r"\bnot\s+sure\s+(?:if|whether|that)?\s*i\s+(?:want|wanna)\s+(?:to\s+)?(?:live|be\s+alive|keep\s+living|go\s+on|be\s+here)",
        r"\b(?:life|living|being\s+alive|my\s+life|it)\s+(?:is|'s|isn'?t|is\s+not|feels|seems)?\s*(?:not|no\s+longer|isn'?t)\s+worth\s+(?:living|it\s+any\s*more)",
        r"\b(?:isn'?t|is\s+not|not|no\s+longer)\s+worth\s+living\b",
        r"\bno\s+(?:reason|point|will)\s+(?:to|in|of)\s+(?:live|living|go(?:ing)?\s+on|being\s+alive|existing)\b",
        r"\b(?:what'?s|whats|what\s+is)\s+the\s+point\s+(?:of|in)\s+(?:living|life|going\s+on|being\s+alive|anything)",
        r"\bbetter\s+off\s+(?:dead|without\s+me|if\s+i\s+(?:was|were)n'?t\s+(?:here|around|alive))",
        r"\b(?:disappear|vanish)\s+(?:forever|for\s+good|permanently)\b",
        r"\b(?:stop|cease|not)\s+(?:to\s+)?exist(?:ing)?\b(?:\s+(?:forever|any\s*more))?",
        r"\bnot\s+(?:to\s+)?(?:wake|waking)\s+up\b",
        r"\bnever\s+wake\s+up\b",
        r"\bcan'?t\s+go\s+on\b(?!\s+(?:a|the|with|vacation|holiday|dates?|trips?))",
        r"\bcannot\s+go\s+on\b(?!\s+(?:a|the|with|vacation|holiday|dates?|trips?))",
        r"\bcan'?t\s+(?:do\s+this|take\s+(?:it|this))\s+any\s*more\b",
        r"\b(?:tired|sick)\s+of\s+(?:living|being\s+alive|life|existing)\b",
        r"\bdone\s+with\s+(?:life|living|everything|it\s+all)\b",
        r"\bgive\s+up\s+on\s+(?:life|living)\b",
        r"\b(?:want|need)\s+(?:it\s+all|everything|the\s+pain|my\s+life)\s+to\s+(?:end|stop|be\s+over)\b",
        r"\bno\s+way\s+out\b",
        r"\bhang(?:ing|ed)?\s+(?:my|him|her|them)sel(?:f|ves)\b",
        r"\b(?:tied|tie|tying|made|make|making|bought|have|got)\s+(?:a\s+|the\s+)?noose\b",
        r"\bslit(?:ting)?\s+(?:my|his|her)\s+(?:wrists?|throat)",
        r"\bshoot(?:ing)?\s+(?:my|him|her)self\b",
        r"\b(?:gun|pistol)\s+to\s+my\s+head\b",
        r"\bjump(?:ing|ed)?\s+(?:off|from|in\s+front\s+of)\s+(?:a|the|my)\s+(?:\w+\s+)?(?:bridge|building|roof|cliff|balcony|train|car|bus|truck)",
        # where people stand before jumping: the edge, a ledge, the tracks, or a bridge/roof "right now"
        r"\b(?:standing|sitting|stood|sat|i'?m|im|i\s+am)\s+(?:on|at)\s+(?:the\s+)?(?:edge\s+of\s+(?:a|the|this|my)\s+(?:bridge|building|roof|rooftop|cliff|balcony|platform)|(?:a|the)\s+ledge|(?:the\s+)?(?:train\s+|railway\s+)?tracks)\b",
        r"\b(?:on|at)\s+(?:a|the|this)\s+(?:bridge|roof|rooftop|cliff|ledge|balcony)\s+(?:right\s+)?now\b",
        r"\babout\s+to\s+jump\b",
        r"\b(?:step|walk|throw\s+myself)\s+in\s+front\s+of\s+(?:a|the)\s+(?:train|bus|car|truck)",
        r"\bdrive\s+(?:my\s+car\s+)?(?:off\s+(?:a|the)\s+(?:road|cliff|bridge)|into\s+(?:a\s+tree|a\s+wall|traffic))",
        r"\b(?:suicide|goodbye)\s+(?:note|letter)s?\b",
        r"\bgiving\s+away\s+(?:all\s+)?my\s+(?:things|stuff|belongings|possessions)\b",
        r"\b(?:i'?m|i\s+am|im|i\s+feel\s+like)\s+(?:such\s+|just\s+)?a\s+burden\b",
        r"\bthink(?:ing)?\s+(?:about|of)\s+(?:death|dying|being\s+dead)\s+(?:all\s+the\s+time|a\s+lot|constantly|every\s*day)",
        r"\b(?:thoughts?|ideas?|urges?)\s+(?:of|about)\s+(?:dying|death|ending\s+it)\b",
        r"\bdeath\s+wish\b",
        r"\blast\s+(?:day|night)\s+(?:of\s+my\s+life|alive)\b",
        r"\b(?:bought|buy|buying|got|have|tie|tied|tying)\s+(?:a\s+|the\s+)?rope\b",
        r"\bsaying\s+goodbye\s+to\s+(?:everyone|everybody|my\s+family|all\s+my|the\s+people)",
        r"\b(?:gun|pistol|rifle|firearm)\b.{0,50}\b(?:keep\s+(?:looking|staring|thinking)|loaded|use\s+it\s+on\s+(?:my|him|her)self|on\s+myself)",
        r"\b(?:painless|easiest|easy|quickest|quick|fastest|best|quietest|surest|peaceful)\s+(?:way|ways|method|methods)\s+(?:to|of)\s+(?:die|dying|kill|end\s+(?:it|my|a\s+life)|suicide|commit|go)\b",
        r"\b(?:ways?|methods?|how)\s+to\s+(?:die|commit\s+suicide)\b",
        r"\b(?:happier|better(?:\s+off)?)\s+if\s+(?:i|he|she|they)\s+(?:was|were|had)\s*(?:n'?t|not|never)\s+(?:been\s+)?(?:born|here|around|alive)",
        r"\bmy\s+own\s+funeral\b",
        r"\blook\s+like\s+an\s+accident\b",
        r"\b(?:me\s+quiero|quiero|voy\s+a|pienso\s+en|pensando\s+en|ganas\s+de|deseo)\s+(?:matar(?:me)?|morir(?:me)?|suicidar(?:me)?|quitarme\s+la\s+vida|acabar\s+con\s+(?:todo|mi\s+vida))\b",
        r"\bquitarme\s+la\s+vida\b|\bacabar\s+con\s+mi\s+vida\b|\bme\s+voy\s+a\s+matar\b",
        r"\b(?:ya\s+)?no\s+quiero\s+(?:vivir|seguir\s+(?:viviendo|aqui)?|estar\s+aqui|existir|despertar(?:me)?)\b",
        r"\bojala\s+(?:no\s+despertara|me\s+muriera|estuviera\s+muert[oa])\b|\b(?:estarian|estaria)\s+mejor\s+sin\s+mi\b",
        r"\bcarta\s+de\s+despedida\b|\bno\s+vale\s+la\s+pena\s+vivir\b|\bdejar\s+de\s+existir\b",
    ],
    SELF_HARM: [
        r"\b(?:i|i\'?ve|im|i\'?m|i\s+am|she|he|they)\s+(?:(?!never\b|not\b|no\b|don\'?t\b)\w+\s+){0,3}self[- ]?(?:harm\w*|injur\w*|mutilat\w*)",
        r"\b(?:has|have|is|are|was|were|been|keeps?|started|still)\s+(?:been\s+)?self[- ]?(?:harm\w*|injur\w*|mutilat\w*)",
        r"\b(?:urges?\s+to|want\s+to|wanna|going\s+to|started|start|keep|back\s+to|relaps\w*\s+(?:into|on))\s+self[- ]?(?:harm\w*|injur\w*)",
        rf"\b(?:cut|cuts|cutting|cutted|carve|carving|carved|burn|burns|burning|burned|burnt|hit|hits|hitting|punch(?:ing)?|scratch(?:ing)?|bite|biting|hurt|hurts|hurting|harm|harms|harming|injure|injuring|punish(?:ing)?|starv\w+)\s+(?:{SELF}|{THIRD_SELF})",
        r"\b(?:cutting|cut)\s+(?:again|on\s+my|my\s+(?:arms?|wrists?|legs?|thighs?|skin|stomach))",
        r"\b(?:i\'?m|i\s+am|im)\s+(?:a\s+)?cutter\b",
        r"\b(?:relapsed?|relapsing)\b.{0,30}\b(?:cutting|self[- ]?harm)",
        r"\b(?:blade|razor|knife|lighter|scissors)\b.{0,30}\b(?:my|his|her)\s+(?:arms?|wrists?|thighs?|legs?|skin|stomach)\b",
        r"\b(?:scratch\w*|pick\w*|pull\w*|bang\w*|punch\w*|hit\w*|bit\w*|claw\w*)\s+(?:at\s+)?(?:my|his|her)\s+(?:\w+\s+){0,2}(?:until|till|til|so\s+hard)\s+(?:it|they|i|she|he)\s+(?:bleed|bleeds|bled|bruise)",
        r"\bscars?\s+on\s+my\s+(?:arms?|wrists?|legs?|thighs?)",
        r"\bme\s+(?:corto|cortaba|corte|lastimo|hago\s+dano|quemo|pego)\b|\bcortarme\b|\bautolesion\w*|\bhacerme\s+dano\b",
    ],
    OVERDOSE: [
        r"\b(?:i|i\'?ve|i\'?m|im|i\s+am|i\s+just|she|he|they)\s+(?:(?!never\b|not\b|no\b|don\'?t\b)\w+\s+){0,3}(?:overdos\w*|o\.?d\.?\'?d|od\'?ing)\b",
        r"\b(?:overdosed|overdosing|o\.?d\.?\'?d|od\'?ing)\b",
        r"\b(?:took|taken|take|taking|want\s+to|going\s+to|gonna|plan\w*\s+to)\s+(?:an?\s+)?overdos\w*",
        rf"\b(?:took|take|taken|taking|swallowed|swallow|downed|ate|popped)\s+{LOTS}\s+(?:of\s+)?(?:my\s+)?(?:\w+\s+)?{PILLS}",
        rf"\b(?:took|taken|swallowed|downed)\s+(?:\w+\s+){{0,3}}{PILLS}\s+(?:to\s+(?:die|end|sleep\s+forever)|so\s+i\s+(?:won'?t|wouldn'?t|don'?t)\s+wake)",
        rf"\b(?:took|take|taken|taking)\s+too\s+much\s+(?:of\s+)?(?:my\s+)?(?:\w+\s+)?(?:{PILLS}|insulin)",
        rf"\b{PILLS}\s+(?:\w+\s+){{0,2}}(?:saved|stockpiled|hoarded|collected|stashed|hidden)\b",
        rf"\b(?:saving|saved|stockpil\w*|hoard\w*|collect\w*|stash\w*)\s+(?:up\s+)?(?:my\s+|some\s+|all\s+(?:my\s+)?)?(?:\w+\s+)?{PILLS}",
        rf"\bhow\s+(?:many|much)\s+(?:\w+\s+){{0,3}}(?:{PILLS}|insulin|alcohol|bleach)\b.{{0,40}}\b(?:take|kill|die|lethal|fatal|enough|not\s+wake|never\s+wake|overdose)",
        r"\b(?:drank|drink|drinking|swallowed)\s+(?:some\s+)?(?:bleach|antifreeze|poison|rat\s+poison)\b",
        rf"\bpoison(?:ed|ing)?\s+(?:{SELF}|{THIRD_SELF})",
        rf"\bmix(?:ed|ing)?\s+(?:my\s+)?{PILLS}\s+(?:with|and)\s+(?:alcohol|vodka|wine|booze)",
        rf"\b(?:lethal|fatal|deadly)\s+(?:dose|amount|dosage|quantity)\s+(?:of\s+)?(?:my\s+)?(?:\w+\s+)?{PILLS}",
        r"\bme\s+tome\s+(?:todas?\s+)?(?:las|unas|muchas|un\s+monton\s+de|un\s+frasco\s+de|\d+)?\s*(?:pastillas|pildoras|medicinas|medicamentos)\b|\bsobredosis\b",
        r"\b(?:pastillas|pildoras)\b.{0,40}\b(?:listas|guardadas|juntando|ahorrando)\b|\b(?:juntando|guardando|ahorrando)\s+(?:\w+\s+)?(?:pastillas|pildoras)\b",
    ],
    VIOLENCE: [
        rf"\b{PERSON}\s+(?:\w+\s+){{0,3}}(?:hits?|hitting|beats?|beating|beat\s+me|punch(?:es|ed|ing)?|chok(?:es|ed|ing)|strangl\w+|slap(?:s|ped|ping)|kick(?:s|ed|ing)|shov(?:es|ed|ing)|push(?:es|ed)|threw|throws|abus(?:es|ed|ing)|rap(?:es|ed)|molest\w*|grop\w+|touch(?:es|ed)|hurt(?:s|ing)?|threaten(?:s|ed|ing)?|attack(?:s|ed)|stalk(?:s|ed|ing)|forc(?:es|ed))\s+(?:me|us|my)\b",
        r"\b(?:hits?|beats?|chokes?|choked|strangled|slapped|punched|kicked)\s+me\b",
        r"\b(?:grabbed|grabs|held|holds|pinned|pins|dragged|drags|pulled)\s+me\s+(?:by\s+(?:the|my)\s+(?:throat|neck|hair)|down|against)",
        r"\b(?:i\'?m|i\s+am|im|i\s+live|living|stuck|trapped)\s+(?:\w+\s+){0,2}(?:in|with)\s+(?:an?\s+)?abusive\s+(?:relationship|marriage|husband|wife|boyfriend|girlfriend|partner|spouse|parents?|father|mother|dad|mom|home)\b",
        r"\bmy\s+(?:\w+\s+)?(?:husband|wife|boyfriend|girlfriend|partner|spouse|parents?|father|mother|dad|mom)\s+is\s+(?:very\s+|so\s+|really\s+)?abusive\b",
        r"\b(?:i\s+was|i\'?ve\s+been|i\s+got|i\s+have\s+been|i\s+think\s+i\s+was|he|she|they|someone|somebody)\s+(?:\w+\s+)?(?:raped|sexually\s+(?:assaulted|abused)|molested)\b",
        r"\b(?:raped|molested|molests|sexually\s+(?:assaulted|abused))\s+me\b",
        r"\bthreat(?:en|ened|ens|ening)?\s+(?:to\s+)?(?:kill|hurt|harm|shoot|stab|beat)\b",
        r"\b(?:tried|trying|try|wants|wanted|planning|plans)\s+to\s+(?:kill|strangle|choke|stab|shoot)\s+(?:me|us|my)\b",
        rf"\b{FEAR}\b.{{0,60}}\b(?:(?:will|'ll|going\s+to|gonna|might|could)\s+(?:kill|hurt|beat|hit)\s+(?:me|us|my))",
        rf"\b(?:(?:will|'ll|going\s+to|gonna|might)\s+(?:kill|hurt|beat|hit)\s+(?:me|us|my))\b.{{0,60}}\b{FEAR}",
        rf"\b(?:scared|afraid|terrified|frightened)\s+of\s+(?:him|what\s+(?:he|she)\s+(?:does|will|might|would|could)|my\s+(?:\w+\s+){{0,2}}{INTIMATE})",
        r"\b(?:scared|afraid|fear|fearing|terrified)\s+for\s+my\s+(?:life|safety)\b",
        r"\b(?:i'?m|i\s+am|im|we\s+are|we'?re)\s+not\s+safe\s+(?:at\s+home|here|with\s+(?:him|her|them))",
        r"\b(?:gun|knife|weapon)\s+(?:to|at|on)\s+(?:me|my|us)\b",
        rf"\b{ADULT}\s+(?:\w+\s+){{0,2}}(?:does|did|do|doing|keeps\s+doing)\s+(?:sexual\s+)?(?:things|stuff)\s+to\s+me\b",
        r"\b(?:won'?t|doesn'?t|does\s+not)\s+let\s+me\s+(?:leave|go\s+out|see\s+(?:my\s+)?(?:friends|family))",
        r"\blocks?\s+me\s+(?:in|up|out)\b",
        r"\bme\s+(?:pega|golpea|golpeo|ahorca|ahorco|estrangula|viola|violo|encierra|encerro)\b",
        r"\b(?:me\s+va\s+a|amenaza\s+con|amenazo\s+con|dice\s+que\s+(?:me\s+)?va\s+a)\s+matar(?:me)?\b|\bviolencia\s+(?:domestica|de\s+genero)\b",
    ],
    HARM_TO_OTHERS: [
        rf"\b(?:want|wanna|going|urge|urges|thoughts?|think\s+about)\s+(?:to\s+|of\s+|about\s+)?(?:kill|killing|hurt|hurting|stab|stabbing|shoot|shooting)\s+(?:someone|somebody|people|him|her|them|my\s+(?:husband|wife|boyfriend|girlfriend|partner|dad|mom|father|mother|brother|sister|boss|roommate))\b",
        r"\b(?:talk\w*|think\w*|threaten\w*|plans?|planning|wants?)\s+(?:about\s+|of\s+|to\s+)?(?:shoot|shooting|stab|stabbing|bomb\w*|kill|killing)\s+(?:people|everyone|kids|students|classmates|his\s+class|her\s+class|them\s+all)\b",
        r"\b(?:i'?m|i\s+am|im)\s+(?:going\s+to|gonna|about\s+to)\s+(?:kill|stab|shoot|hurt|strangle|poison)\s+(?:him|her|them|someone|my\s+\w+)\b",
        r"\b(?:plan|planning|planned)\s+(?:to|on)\s+(?:kill|killing|hurt|hurting|stab|stabbing|shoot|shooting|poison\w*)\s+(?:him|her|them|someone|my\s+\w+)\b",
        r"\b(?:i'?m|i\s+am|im)\s+(?:afraid|scared|worried)\s+(?:i'?ll|i\s+will|i\s+might|that\s+i\s+(?:will|might))\s+(?:kill|hurt|harm|stab|strangle)\s+(?:someone|somebody|him|her|them|my\s+\w+)\b",
        r"\b(?:quiero|voy\s+a|ganas\s+de|pienso\s+en)\s+(?:matar|lastimar|apunalar|hacerle\s+dano)\s+a\s+(?:alguien|mi|mis|el|ella|ellos)\b",
    ],
    MEDICAL: [
        r"\b(?:haven'?t|have\s+not|hasn'?t|has\s+not|didn'?t|did\s+not|not)\s+(?:eaten|ate|eat|had\s+(?:any\s+)?(?:food|a\s+meal))\s+(?:anything\s+|a\s+thing\s+)?(?:in|for|since)\s+(?:\d+|two|three|four|five|six|seven|eight|nine|ten|a\s+few|several|many)\s+days\b",
        r"\b(?:fainted|faint|fainting|passed\s+out|passing\s+out|blacked\s+out|collapsed|heart\s+(?:is\s+)?(?:racing|skipping|pounding|fluttering))\b.{0,80}\b(?:not\s+eating|starv\w*|fasting|no\s+food|haven'?t\s+eaten|barely\s+eat\w*|purg\w*)",
        r"\b(?:not\s+eating|starv\w*|fasting|no\s+food|haven'?t\s+eaten|barely\s+eat\w*|purg\w*)\b.{0,80}\b(?:fainted|faint|fainting|passed\s+out|passing\s+out|blacked\s+out|collapsed|heart\s+(?:is\s+)?(?:racing|skipping|pounding|fluttering))",
        r"\b(?:drank|drink|drinking|swallowed|swallow|ate|inhaled|took)\s+(?:some\s+|a\s+(?:bottle|cup|glass)\s+of\s+)?(?:bleach|antifreeze|rat\s+poison|poison|pesticide|weed\s*killer|drain\s+cleaner|detergent|laundry\s+pods?|lighter\s+fluid|gasoline|windshield\s+fluid|lye)\b",
        r"\b(?:son|daughter|child|kid|toddler|baby|boy|girl)\s+(?:\w+\s+){0,2}(?:swallowed|ate|drank|got\s+into)\s+(?:\w+\s+){0,3}(?:pills|medicine|medication|bleach|detergent|pods|batter(?:y|ies)|poison|cleaner)\b",
        r"\bcarbon\s+monoxide\b.{0,60}\b(?:car|garage|room|house|now|dizzy|headache|sleepy)\b",
        r"\bno\s+he\s+comido\s+(?:nada\s+)?(?:en|desde\s+hace)\s+\w+\s+dias\b|\b(?:tome|bebi|trague|me\s+tome)\s+(?:\w+\s+)?(?:cloro|lejia|veneno|anticongelante)\b",
    ],
    PSYCHOSIS: [
        r"\bvoices?\b.{0,50}\b(?:tell|tells|telling|told|say|says|saying|said|want|wants|command\w*|order\w*|scream\w*|whisper\w*)\b.{0,50}\b(?:kill|hurt|harm|die|jump|cut|stab|do\s+it|end\s+it|burn|drown|punish)\b",
        r"\b(?:god|the\s+devil|demons?|satan|angels?|they|something)\s+(?:is|are|keeps?)\s+(?:telling|ordering|commanding|making)\s+me\s+(?:to\s+)?(?:kill|hurt|harm|die|jump|cut|do\s+it|sacrifice)\b",
        r"\blas\s+voces\s+me\s+(?:dicen|ordenan|piden|gritan)\b",
    ],
    CHILD_AT_RISK: [
        rf"\b(?:hits?|hitting|beats?|beating|abus(?:es|ed|ing)|molest\w*|touch(?:es|ed|ing)|rap(?:es|ed)|hurt(?:s|ing)?|shak(?:es|ing|e)|shook|neglect(?:s|ed|ing)?|starv(?:es|ed|ing)|chok(?:es|ed|ing))\s+{CHILD}",
        rf"\b(?:thoughts?|urges?|afraid|scared|fear|worried)\s+(?:of|about|that\s+i(?:'ll|\s+will|\s+might)|i(?:'ll|\s+will|\s+might))\s+(?:\w+\s+)?(?:hurt\w*|harm\w*|kill\w*|drown\w*|smother\w*|shak\w+|hit\w*)\s+{CHILD}",
        rf"\b(?:want|wanna|going|urge)\s+to\s+(?:hurt|harm|kill|drown|smother|shake|hit)\s+{CHILD}",
        r"\b(?:touch(?:es|ed)?|touching)\s+me\s+(?:inappropriately|down\s+there|in\s+my\s+private|where)",
        r"\b(?:touches|touched)\s+my\s+private",
        # an older person getting into the speaker's bed, or into their room at night / while asleep
        rf"\b{ADULT}\s+(?:\w+\s+){{0,3}}(?:get|gets|got|getting|come|comes|came|coming|climb\w*|crawl\w*|sneak\w*|snuck)\s+(?:in|into)\s+(?:bed\s+with\s+me|my\s+bed)\b",
        rf"\b{ADULT}\s+(?:\w+\s+){{0,3}}(?:comes?|came|coming|walks?|walked|sneaks?|snuck|gets?|got)\s+(?:in|into\s+my\s+(?:bed)?room|in\s+my\s+(?:bed)?room)\b.{{0,40}}\b{NIGHT}\b",
        rf"\b{NIGHT}\b.{{0,40}}\b{ADULT}\s+(?:\w+\s+){{0,3}}(?:comes?|came|coming|walks?|walked|sneaks?|snuck|gets?|got)\s+(?:in|into\s+my\s+(?:bed)?room|in\s+my\s+(?:bed)?room)\b",
        # a minor saying someone touched them, or shows them sexual images, or swears them to secrecy about it
        rf"{MINOR_SELF}.{{0,80}}\btouch(?:es|ed|ing)\s+me\b",
        r"\bshow(?:s|ed|ing)?\s+me\s+(?:\w+\s+)?(?:private|naked|nude|dirty|sexual|porn\w*)\s+(?:pictures|pics|photos|videos|parts|things)\b",
        r"\b(?:our|a)\s+(?:little\s+)?secret\b.{0,40}\b(?:touch\w*|does\s+to\s+me|did\s+to\s+me|naked)\b",
        r"\b(?:touch\w*|does\s+to\s+me|did\s+to\s+me|naked)\b.{0,40}\b(?:our|a)\s+(?:little\s+)?secret\b",
        r"\b(?:send|sent|send\s+him|send\s+her)\s+(?:more\s+)?(?:nudes|pics|pictures|photos|videos)\b.{0,80}\b(?:or\s+(?:else|he|she|they)|unless|threat\w*|leak|post|share|expose|tell\s+(?:my|everyone))\b",
        r"\b(?:leak|post|share|send|expose)\s+(?:my\s+)?(?:nudes|pics|pictures|photos|videos)\b.{0,80}\b(?:unless|if\s+i\s+don'?t|or\s+else|to\s+my\s+(?:school|parents|friends|family))\b",
        r"\b(?:sextort\w*\s+me|(?:is|are|been|keeps?)\s+sextorting|groom(?:ed|ing|s)\s+me)\b",
        r"\bme\s+(?:toca|toco|manosea|manoseo)\b|\babuso\s+sexual\b|\b(?:fotos|videos|nudes)\b.{0,60}\b(?:si\s+no|amenaza\w*|publicar|subir|mandar\s+a\s+mi)\b",
    ],
}

# Topic words: a danger named, not said of oneself ("suicide prevention", "self-harm scars", "overdoses on my
# shift"). They are features of the classifier, never a verdict on their own: measured, as verdicts they
# flagged 10% of look-alikes (professionals, research, news) and added almost no recall.
TOPIC_PATTERNS: dict[str, list[str]] = {
    SUICIDE: [
        rf"\b{SUICIDE_WORD}",
        r"\bnoose\b",
    ],
    SELF_HARM: [
        rf"\bself[- ]?(?:harm\w*|injur\w*|mutilat\w*|destruct\w*)",
        r"\bcutter\b",
        r"\brazor(?:\s+blades?)?\b",
    ],
    OVERDOSE: [
        r"\b(?:overdos\w*|o\.?d\.?'?d|od'?ing)\b",
        r"\b(?:lethal|fatal|deadly)\s+(?:dose|amount|dosage|quantity|combination)",
    ],
    VIOLENCE: [
        r"\b(?:domestic|physical|sexual|partner|family)\s+(?:violence|abuse|assault)\b",
        r"\babusive\s+(?:relationship|marriage|husband|wife|boyfriend|girlfriend|partner|spouse|parents?|father|mother|dad|mom|home|ex)\b",
        r"\b(?:raped|rape|rapist|sexually\s+(?:assaulted|abused)|molested|molesting|molests?)\b",
    ],
    CHILD_AT_RISK: [
        r"\bchild\s+(?:abuse|neglect|porn\w*|molest\w*)\b",
        r"\b(?:sextort\w*|groom(?:ed|ing|s)\s+me|grooming\s+me)\b",
    ],
}

# A negation directly before a match, with at most a few filler words between them.
NEGATION = re.compile(
    r"(?:\bnot|\bnever|\bno\s+longer|\bno|\bnor|\bwithout|"
    r"\b(?:do|does|did|wo|would|should|is|are|was|were|have|has|had|ai|must)n'?t|\bam\s+not)\s+"
    r"(?:(?:i|i'?m|am|been|be|being|ever|really|actually|at\s+all|have|had|any|want|wanna|plan|planning|"
    r"intend|intending|going|gonna|to|feel|feeling|thoughts?|ideas?|plans?|urges?|of|about|on|having|get|"
    r"getting|would|will|could|do|did|try|trying|thinking|think|considering|consider|myself|a|the)\s+){0,4}$")
NOT_NEGATION = re.compile(r"(?:not\s+sure|not\s+certain|can'?t\s+stop|couldn'?t\s+stop|won'?t\s+stop|"
                          r"not\s+able\s+to\s+stop|no\s+one|nobody|not\s+just|not\s+only|no\s+matter|not\s+even\s+sure)"
                          r"\s+(?:\w+\s+){0,4}$")
CLAUSE_BREAK = re.compile(r"[.;!?]|\bbut\b|\bhowever\b|\bthough\b|\bexcept\b|\byet\b")
CONTINUATION = re.compile(r"\b(?:but|though|although|however|yet|except|sometimes)\b")
NEGATION_WINDOW = 60  # characters looked at before a match, within its clause

_IDIOM = re.compile("|".join(f"(?:{p})" for p in IDIOMS))
_PATTERNS = {category: [re.compile(p) for p in patterns] for category, patterns in PATTERNS.items()}
_TOPICS = {category: [re.compile(p) for p in patterns] for category, patterns in TOPIC_PATTERNS.items()}
_CHILD = re.compile(CHILD)
# Every pattern and topic word as one alternation: it matches somewhere exactly when one of them does, so
# a message it does not match (~98% of real worries) skips the per-pattern passes (0.23 -> 0.07 ms).
_ANY = re.compile("|".join(f"(?:{p.pattern})" for patterns in (*_PATTERNS.values(), *_TOPICS.values())
                           for p in patterns))


@dataclass
class LexiconMatch:
    """What the lexicon found: categories with an affirmed match, and those only mentioned negated."""

    categories: set[str] = field(default_factory=set)
    negated: set[str] = field(default_factory=set)
    idioms: int = 0
    denial_continues: bool = False  # a denial followed by "but ..." / "though ...": judge the rest too
    evidence: list[tuple[str, str]] = field(default_factory=list)  # (category, pattern): never the query text
    spans: list[tuple[str, int, int]] = field(default_factory=list)  # (category, start, end) in `normalize`d text
    topics: set[str] = field(default_factory=set)  # families only named by a topic word (TOPIC_PATTERNS)

    @property
    def flagged(self) -> bool:
        return bool(self.categories)


def normalize(text: str) -> str:
    """Lower case, no accents, straight apostrophes, one space (cues.normalize): what patterns read."""
    return normalize_text(text)


def blank_idioms(text: str) -> tuple[str, int]:
    """Replace idioms with spaces of the same length (offsets stay valid); return the count too."""
    count = 0

    def blank(match: re.Match) -> str:
        nonlocal count
        count += 1
        return " " * len(match.group(0))

    return _IDIOM.sub(blank, text), count


def is_negated(text: str, start: int) -> bool:
    """True when the clause before `start` ends in a negation ("i'm not", "i would never", "no thoughts of")."""
    before = text[max(0, start - NEGATION_WINDOW):start]
    breaks = list(CLAUSE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end():]
    before = " ".join(before.split()) + " "
    if NOT_NEGATION.search(before):
        return False
    return NEGATION.search(before) is not None


def scan(text: str) -> LexiconMatch:
    """Match the crisis lexicon against `text` (any case, any length the service accepts)."""
    normalized = normalize(text)
    cleaned, idioms = blank_idioms(normalized)
    result = LexiconMatch(idioms=idioms)
    if _ANY.search(cleaned) is None:
        return result
    for category, patterns in _PATTERNS.items():
        for pattern in patterns:
            for match in pattern.finditer(cleaned):
                if is_negated(cleaned, match.start()):
                    result.negated.add(category)
                    if CONTINUATION.search(cleaned, match.end()):
                        result.denial_continues = True
                    continue
                result.categories.add(category)
                result.evidence.append((category, pattern.pattern))
                result.spans.append((category, match.start(), match.end()))
                break
    if result.categories - {CHILD_AT_RISK} and _CHILD.search(cleaned):
        result.categories.add(CHILD_AT_RISK)
    result.negated -= result.categories
    for category, patterns in _TOPICS.items():
        for match in (m for p in patterns for m in p.finditer(cleaned)):
            if is_negated(cleaned, match.start()):
                result.negated.add(category)
            else:
                result.topics.add(category)
    result.negated -= result.categories
    result.topics -= result.categories
    return result
