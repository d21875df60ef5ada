"""Help resources: packaged per region, replaceable by a file, checked at start-up; and the check never fails a search."""
import json

import numpy as np
import pytest

from retriever.safety import SafetyCheck, SafetyConfigError, load_resources
from safety_cases import BrokenClassifier
from retriever.safety.resources import available_regions


def test_us_resources_carry_the_lifelines_the_issue_names():
    resources = load_resources("us")
    contacts = " | ".join(f"{r.name}: {r.contact}" for r in resources.all())
    for expected in ("988", "HOME to 741741", "1-800-799-7233", "911", "findahelpline.com"):
        assert expected in contacts
    assert "not a substitute for professional help" in resources.notice


@pytest.mark.parametrize("region", ["us", "gb", "intl"])
def test_every_packaged_region_loads(region):
    assert region in available_regions()
    assert load_resources(region).general()


def test_flagged_categories_put_their_specific_resources_first():
    resources = load_resources("us")
    violence = resources.for_categories(["violence"])
    assert violence[0].name == "National Domestic Violence Hotline"
    assert {r.name for r in resources.general()} <= {r.name for r in violence}
    assert resources.for_categories([]) == resources.general()


def test_an_unknown_region_is_refused_with_the_known_ones():
    with pytest.raises(SafetyConfigError, match="us"):
        load_resources("atlantis")


def test_a_custom_file_replaces_the_packaged_list(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"region": "nz", "notice": "Public answers from 2020; not professional help.",
                                "resources": [{"name": "Need to talk?", "contact": "Call or text 1737",
                                               "url": None, "description": None, "categories": ["*"]}]}))
    resources = load_resources("us", path)
    assert resources.region == "nz" and [r.contact for r in resources.all()] == ["Call or text 1737"]


@pytest.mark.parametrize("content, problem", [
    ("{not json", "cannot read"),
    (json.dumps({"notice": "n", "resources": []}), "non-empty 'resources'"),
    (json.dumps({"notice": "", "resources": [{"name": "a", "contact": "b"}]}), "notice"),
    (json.dumps({"notice": "n", "resources": [{"name": "a"}]}), "contact"),
    (json.dumps({"notice": "n", "resources": [{"name": "a", "contact": "b", "categories": ["cats"]}]}), "unknown"),
    (json.dumps({"notice": "n", "resources": [{"name": "a", "contact": "b", "categories": ["violence"]}]}), "\\*"),
])
def test_a_malformed_file_fails_loudly_naming_the_problem(tmp_path, content, problem):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(SafetyConfigError, match=problem):
        load_resources(path=path)




def test_a_failing_check_still_answers_with_every_resource_and_says_so():
    check = SafetyCheck(load_resources("us"), BrokenClassifier())
    verdict = check.check("how do I sleep better", np.zeros(384, dtype=np.float32))
    assert verdict.crisis and verdict.level == "high" and verdict.error and "safety check failed" in verdict.error
    assert len(verdict.resources) == len(load_resources("us").all())


def test_imminent_puts_the_emergency_number_then_the_crisis_line_first():
    resources = load_resources("us")
    ordered = resources.ordered(["violence"], "imminent")
    assert ordered[0].emergency and "911" in ordered[0].contact and ordered[1].crisis_line
    assert ordered[2].name == "National Domestic Violence Hotline"
    high = resources.ordered(["violence"], "high")
    assert high[0].name == "National Domestic Violence Hotline"


def test_someone_else_at_risk_gets_the_lines_framed_for_helping_them():
    lifeline = next(r for r in load_resources("us").ordered(["suicide"], "concern", someone_else=True)
                    if r.name.startswith("988"))
    assert "worried about someone else" in lifeline.description


def test_spanish_resources_travel_with_the_region():
    resources = load_resources("us")
    spanish = resources.in_language("es")
    assert spanish.language == "es" and any("oprime 2" in r.contact for r in spanish.all())
    assert "inglés" in spanish.notice  # the answers themselves stay in English, and the notice says so
    assert load_resources("gb").in_language("es").language == "en"  # no translation: the region's own


@pytest.mark.parametrize("region", ["us", "gb", "intl"])
def test_every_region_has_a_message_for_every_level_and_an_instruction_for_chatbots(region):
    resources = load_resources(region)
    for key in ("imminent", "high", "concern", "someone_else", "gentle"):
        assert resources.messages[key].strip()
    assert resources.reply_instructions["imminent"] and resources.reply_instructions["high"]
    assert any(r.emergency for r in resources.all()) and any(r.crisis_line for r in resources.all())
