"""Help resources by region and language, from data files (packaged ones under data/, or your own).

Why a data file: phone numbers differ by country and change; an operator should be able to point
SAFETY_RESOURCES_FILE at a reviewed list without touching code. The file is read and checked once at
start-up, so a typo fails loudly then, not silently in a crisis.

Format: {"region", "language" ("en"), "notice", "messages" (optional: a sentence per level for the
person, see MESSAGE_KEYS), "reply_instructions" (optional: for chatbots, per level), "resources":
[{"name", "contact", "url" (or null), "description" (or null), "categories": ["*"] or some of the
taxonomy's families, "emergency" (true for the emergency number), "crisis_line" (true for the main
crisis line), "for_others" (optional: the description for someone worried about another person)}]}.
A packaged region may have translations beside it (`us.es.json`): a message in Spanish is answered
with those.

Order (`ResourceSet.ordered`): for `imminent`, the emergency number first, then the crisis line, then
the lines for the flagged families, then the rest; otherwise the flagged families' lines first, then
the general ones. For someone else at risk, each line says how it helps them help.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from retriever.safety.taxonomy import CONCERN, FAMILIES, HIGH, IMMINENT

DATA_DIR = Path(__file__).parent / "data"
ANY = "*"
MESSAGE_KEYS = (IMMINENT, HIGH, CONCERN, "someone_else", "gentle")
INSTRUCTION_KEYS = (IMMINENT, HIGH)
# Used when a file gives no messages: wording with no number in it (the resources carry the numbers).
DEFAULT_MESSAGES = {
    IMMINENT: "If you are in danger right now, call your local emergency number now.",
    HIGH: "You don't have to go through this alone. Please reach out to one of the lines below now.",
    CONCERN: "What you're feeling matters, and the lines below are there whenever you want to talk.",
    "someone_else": "You're doing the right thing by looking out for them: the lines below also help people "
                    "worried about someone else. If they are in danger right now, call your emergency number.",
    "gentle": "If this brings up hard feelings, the lines below are there to talk to, any time.",
}
DEFAULT_INSTRUCTIONS = {
    IMMINENT: "The person may be in immediate danger. Reply first, before anything else, by urging them to call "
              "their emergency number now and giving the help lines below; do not quote any passage before that.",
    HIGH: "The person may be at risk. Open the reply with the help lines below, before any passage.",
}


class SafetyConfigError(ValueError):
    """The resources file is missing or malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Resource:
    name: str
    contact: str
    url: str | None
    description: str | None
    categories: tuple[str, ...]
    emergency: bool = False
    crisis_line: bool = False
    for_others: str | None = None

    @property
    def general(self) -> bool:
        return ANY in self.categories


@dataclass(frozen=True)
class ResourceSet:
    region: str
    notice: str
    resources: tuple[Resource, ...]
    language: str = "en"
    messages: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MESSAGES))
    reply_instructions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_INSTRUCTIONS))
    translations: dict[str, "ResourceSet"] = field(default_factory=dict)

    def in_language(self, language: str) -> "ResourceSet":
        """This region's resources in `language` when there are, else these."""
        return self if language == self.language else self.translations.get(language, self)

    def general(self) -> list[Resource]:
        """Shown with every response: help should be one glance away even when nothing is flagged."""
        return [r for r in self.resources if r.general]

    def for_categories(self, categories) -> list[Resource]:
        """The resources for the flagged families first (file order), then the general ones."""
        wanted = set(categories)
        specific = [r for r in self.resources if not r.general and wanted.intersection(r.categories)]
        return specific + self.general() if wanted else self.general()

    def ordered(self, families, level: str, someone_else: bool = False) -> list[Resource]:
        """What to show for a verdict: see the module's docstring for the order."""
        listed = self.for_categories(families)
        if level == IMMINENT:
            first = [r for r in self.resources if r.emergency] + [r for r in self.resources if r.crisis_line]
            listed = first + [r for r in listed if r not in first]
        if someone_else:
            listed = [replace(r, description=r.for_others) if r.for_others else r for r in listed]
        return listed

    def all(self) -> list[Resource]:
        return list(self.resources)


def available_regions() -> list[str]:
    return sorted(p.stem for p in DATA_DIR.glob("*.json") if "." not in p.stem)


def load_resources(region: str = "us", path: str | Path | None = None) -> ResourceSet:
    """Load `path` if given, else the packaged file for `region` with its translations;
    raise `SafetyConfigError` if unusable."""
    if path is not None:
        return _read(Path(path))
    main = DATA_DIR / f"{region.lower()}.json"
    if not main.is_file():
        raise SafetyConfigError(f"no packaged safety resources for region {region!r}; "
                                f"choose one of {', '.join(available_regions())} or set SAFETY_RESOURCES_FILE")
    resources = _read(main)
    translations = {}
    for other in sorted(DATA_DIR.glob(f"{region.lower()}.*.json")):
        translated = _read(other)
        translations[translated.language] = translated
    return replace(resources, translations=translations)


def _read(path: Path) -> ResourceSet:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SafetyConfigError(f"cannot read safety resources {path}: {error}") from error
    return parse_resources(data, str(path))


def parse_resources(data: object, source: str = "resources") -> ResourceSet:
    if not isinstance(data, dict) or not isinstance(data.get("resources"), list) or not data["resources"]:
        raise SafetyConfigError(f"{source}: expected an object with a non-empty 'resources' list")
    notice = data.get("notice")
    if not isinstance(notice, str) or not notice.strip():
        raise SafetyConfigError(f"{source}: 'notice' must be a non-empty string")
    messages = _texts(data, "messages", MESSAGE_KEYS, DEFAULT_MESSAGES, source)
    instructions = _texts(data, "reply_instructions", INSTRUCTION_KEYS, DEFAULT_INSTRUCTIONS, source)
    resources = []
    for i, item in enumerate(data["resources"]):
        where = f"{source}: resources[{i}]"
        if not isinstance(item, dict):
            raise SafetyConfigError(f"{where} must be an object")
        for key in ("name", "contact"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise SafetyConfigError(f"{where}.{key} must be a non-empty string")
        for key in ("url", "description", "for_others"):
            if item.get(key) is not None and not isinstance(item[key], str):
                raise SafetyConfigError(f"{where}.{key} must be a string or null")
        for key in ("emergency", "crisis_line"):
            if not isinstance(item.get(key, False), bool):
                raise SafetyConfigError(f"{where}.{key} must be true or false")
        categories = item.get("categories", [ANY])
        if not isinstance(categories, list) or not categories:
            raise SafetyConfigError(f"{where}.categories must be a non-empty list")
        unknown = set(categories) - set(FAMILIES) - {ANY}
        if unknown:
            raise SafetyConfigError(f"{where}.categories has unknown {sorted(unknown)}; known: {', '.join(FAMILIES)} or *")
        resources.append(Resource(item["name"], item["contact"], item.get("url"), item.get("description"),
                                  tuple(categories), item.get("emergency", False), item.get("crisis_line", False),
                                  item.get("for_others")))
    if not any(r.general for r in resources):
        raise SafetyConfigError(f"{source}: at least one resource must have categories ['*'] (shown to everyone)")
    language = data.get("language", "en")
    if not isinstance(language, str) or not language:
        raise SafetyConfigError(f"{source}: 'language' must be a language code such as 'en'")
    return ResourceSet(str(data.get("region", "custom")), notice.strip(), tuple(resources), language,
                       messages, instructions)


def _texts(data: dict, key: str, allowed: tuple[str, ...], defaults: dict[str, str], source: str) -> dict[str, str]:
    given = data.get(key, {})
    if not isinstance(given, dict) or not all(isinstance(v, str) and v.strip() for v in given.values()):
        raise SafetyConfigError(f"{source}: '{key}' must map some of {', '.join(allowed)} to sentences")
    unknown = set(given) - set(allowed)
    if unknown:
        raise SafetyConfigError(f"{source}: '{key}' has unknown {sorted(unknown)}; known: {', '.join(allowed)}")
    return {**defaults, **given}
