"""Help resources by region, from a JSON data file (packaged ones under data/, or your own).

Why a data file: phone numbers differ by country and change; an operator should be able to point
SAFETY_RESOURCES_FILE at a reviewed list without touching code. The file is read and checked once at
start-up, so a typo fails loudly then, not silently in a crisis.

Format: {"region": str, "notice": str, "resources": [{"name", "contact", "url" (or null),
"description" (or null), "categories": ["*"] or some of suicide/self_harm/overdose/violence/child_at_risk}]}.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from retriever.safety.lexicon import CATEGORIES

DATA_DIR = Path(__file__).parent / "data"
ANY = "*"


class SafetyConfigError(ValueError):
    """The resources file is missing or malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Resource:
    name: str
    contact: str
    url: str | None
    description: str | None
    categories: tuple[str, ...]

    @property
    def general(self) -> bool:
        return ANY in self.categories


@dataclass(frozen=True)
class ResourceSet:
    region: str
    notice: str
    resources: tuple[Resource, ...]

    def general(self) -> list[Resource]:
        """Shown with every response: help should be one glance away even when nothing is flagged."""
        return [r for r in self.resources if r.general]

    def for_categories(self, categories: set[str] | list[str]) -> list[Resource]:
        """The resources for the flagged categories first (file order), then the general ones."""
        wanted = set(categories)
        specific = [r for r in self.resources if not r.general and wanted.intersection(r.categories)]
        return specific + self.general() if wanted else self.general()

    def all(self) -> list[Resource]:
        return list(self.resources)


def available_regions() -> list[str]:
    return sorted(p.stem for p in DATA_DIR.glob("*.json"))


def load_resources(region: str = "us", path: str | Path | None = None) -> ResourceSet:
    """Load `path` if given, else the packaged file for `region`; raise `SafetyConfigError` if unusable."""
    if path is None:
        path = DATA_DIR / f"{region.lower()}.json"
        if not path.is_file():
            raise SafetyConfigError(f"no packaged safety resources for region {region!r}; "
                                    f"choose one of {', '.join(available_regions())} or set SAFETY_RESOURCES_FILE")
    path = Path(path)
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
    resources = []
    for i, item in enumerate(data["resources"]):
        where = f"{source}: resources[{i}]"
        if not isinstance(item, dict):
            raise SafetyConfigError(f"{where} must be an object")
        for key in ("name", "contact"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise SafetyConfigError(f"{where}.{key} must be a non-empty string")
        for key in ("url", "description"):
            if item.get(key) is not None and not isinstance(item[key], str):
                raise SafetyConfigError(f"{where}.{key} must be a string or null")
        categories = item.get("categories", [ANY])
        if not isinstance(categories, list) or not categories:
            raise SafetyConfigError(f"{where}.categories must be a non-empty list")
        unknown = set(categories) - set(CATEGORIES) - {ANY}
        if unknown:
            raise SafetyConfigError(f"{where}.categories has unknown {sorted(unknown)}; known: {', '.join(CATEGORIES)} or *")
        resources.append(Resource(item["name"], item["contact"], item.get("url"), item.get("description"),
                                  tuple(categories)))
    if not any(r.general for r in resources):
        raise SafetyConfigError(f"{source}: at least one resource must have categories ['*'] (shown to everyone)")
    return ResourceSet(str(data.get("region", "custom")), notice.strip(), tuple(resources))
