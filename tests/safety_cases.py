"""The crisis cases of tests/data/crisis_cases.tsv (written for this project), shared by the safety tests."""
from __future__ import annotations

from pathlib import Path

CASES_FILE = Path(__file__).parent / "data" / "crisis_cases.tsv"


def load_cases() -> list[tuple[bool, str, str]]:
    """(is_crisis, needs, text) per line; needs is "L" (lexicon alone), "S" (full check) or "-"."""
    cases = []
    for line in CASES_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, needs, text = line.split("\t")
        cases.append((label == "1", needs, text))
    return cases


CASES = load_cases()
CRISIS = [text for crisis, _, text in CASES if crisis]
LEXICON_CRISIS = [text for crisis, needs, text in CASES if crisis and needs == "L"]
NOT_CRISIS = [text for crisis, _, text in CASES if not crisis]


class BrokenClassifier:
    """Stands in for the learned crisis classifier and fails, as a damaged one would."""

    model, dimension, thresholds = "all-MiniLM-L6-v2", 384, {"crisis": 0.3, "high": 0.5, "imminent": 0.5}

    def scores(self, reading, vector):
        raise RuntimeError("classifier weights unavailable")

    def fits(self, name):
        return True
