"""Settings are a leaf: their defaults are the library's own (one value, written in two places, checked here)."""
from dataclasses import fields

from api.wiring import ranking_config
from retriever.ranking import RankingConfig
from settings import Settings


def test_the_ranking_defaults_of_the_settings_are_the_rankers_own():
    assert ranking_config(Settings()) == RankingConfig()


def test_every_ranking_option_is_a_setting():
    names = {f.name for f in fields(RankingConfig)}
    assert names <= {n.removeprefix("ranking_") for n in Settings.model_fields}


def test_the_configuration_page_lists_every_setting():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in page]
    assert not missing, f"docs/configuration.md does not list {missing}"
