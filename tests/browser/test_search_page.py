"""The search page against the real API over the small test corpus, in headless Chromium."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from page_driver import (PHONE, active_id, contrast_ratios, open_page, result_titles, screenshot, search_box, visible,
                         wait_results, wait_until, wait_visible)


def url_params(driver) -> dict:
    return {key: values[0] for key, values in parse_qs(urlparse(driver.current_url).query).items()}


def test_page_says_what_it_is_and_labels_its_controls(browser, page_url):
    open_page(browser, page_url)
    assert "licensed" in browser.find_element(By.CSS_SELECTOR, "header .intro").text
    assert "not a substitute for care" in browser.find_element(By.CSS_SELECTOR, "header .intro").text
    label = browser.find_element(By.CSS_SELECTOR, "label[for=q]")
    assert label.text.strip() and label.is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, "label[for=topic]").text == "Topic"
    assert search_box(browser).get_attribute("maxlength") == "2000"
    for landmark in ("header", "main", "footer", "form[role=search]"):
        assert browser.find_elements(By.CSS_SELECTOR, landmark), landmark
    assert not visible(browser, "results-section") and not visible(browser, "safety")


def test_typing_a_worry_and_pressing_enter_shows_answers_and_puts_the_search_in_the_url(browser, page_url, artifacts):
    open_page(browser, page_url)
    box = search_box(browser)
    box.send_keys("I always cry when I see my counselor, is that weird?")
    box.send_keys(Keys.ENTER)
    items = wait_results(browser)

    assert items, "no results shown"
    assert result_titles(browser)[0] == "Is crying in therapy normal?"
    assert url_params(browser) == {"q": "I always cry when I see my counselor, is that weird?"}
    first = items[0]
    link = first.find_element(By.CSS_SELECTOR, "h3 a")
    assert link.get_attribute("href") == f"{page_url}/q/is-crying-in-therapy-normal", "the title leads to its page"
    meta = first.find_element(By.CSS_SELECTOR, ".result-meta").text
    assert "Counseling fundamentals" in meta and "Answered by " in meta and "upvote" in meta

    # each question once, with its best answer shown (the others are folded: tests/browser/test_page_features.py)
    expected = httpx.get(f"{page_url}/v1/search", params={"q": "I always cry when I see my counselor, is that weird?",
                                                          "group_by": "question", "per_question": 3}).json()
    best = [group["answers"][0] for group in expected["questions"]]
    assert result_titles(browser) == [group["question_title"] for group in expected["questions"]]
    answers = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#results .answer")]
    assert answers == [r["answer"].strip() for r in best]
    for item, result in zip(items, best):
        marks = [e.text for e in item.find_elements(By.CSS_SELECTOR, ".answer mark")]
        passage = result["highlight"]["text"].strip()
        if passage == result["answer"].strip():
            assert marks == [], "a passage that is the whole answer is not marked"
        else:
            assert marks == [passage]
    assert any(item.find_elements(By.CSS_SELECTOR, ".answer mark") for item in items)
    assert visible(browser, "status") and "Showing" in browser.find_element(By.ID, "status").text

    screenshot(browser, artifacts / "page-results-desktop.png", 1280)
    screenshot(browser, artifacts / "page-results-phone.png", PHONE[0])
    assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0], \
        "the page scrolls sideways at 360 px"


def test_opening_a_search_url_shows_its_results_with_the_topic_filter(browser, page_url):
    open_page(browser, f"{page_url}/?q=crying+all+the+time&topic=grief-and-loss")
    wait_results(browser)
    assert search_box(browser).get_attribute("value") == "crying all the time"
    wait_until(browser, lambda d: len(Select(d.find_element(By.ID, "topic")).options) > 1)
    assert Select(browser.find_element(By.ID, "topic")).first_selected_option.get_attribute("value") == "grief-and-loss"
    tags = {e.text for e in browser.find_elements(By.CSS_SELECTOR, "#results .topic-tag")}
    assert tags == {"Grief and loss"}
    assert result_titles(browser) == ["My dog died and I cannot stop grieving"]


def test_choosing_a_topic_filters_the_results_and_the_url(browser, page_url):
    open_page(browser, page_url)
    wait_until(browser, lambda d: len(Select(d.find_element(By.ID, "topic")).options) > 1)
    options = {o.get_attribute("value"): o.text for o in Select(browser.find_element(By.ID, "topic")).options}
    assert options[""] == "All topics" and options["sleep-improvement"].startswith("Sleep improvement")
    search_box(browser).send_keys("worrying at night")
    Select(browser.find_element(By.ID, "topic")).select_by_value("sleep-improvement")
    browser.find_element(By.ID, "search-button").click()
    wait_results(browser)
    assert url_params(browser) == {"q": "worrying at night", "topic": "sleep-improvement"}
    assert {e.text for e in browser.find_elements(By.CSS_SELECTOR, "#results .topic-tag")} == {"Sleep improvement"}


def test_back_and_forward_return_to_earlier_searches(browser, page_url):
    open_page(browser, page_url)
    box = search_box(browser)
    box.send_keys("how can I sleep through the night", Keys.ENTER)
    wait_until(browser, lambda d: result_titles(d)[:1] == ["How do I sleep better?"])
    box.clear()
    box.send_keys("my heart races in crowds", Keys.ENTER)
    wait_until(browser, lambda d: result_titles(d)[:1] == ["How can I stop panic attacks?"])
    assert url_params(browser) == {"q": "my heart races in crowds"}

    browser.back()
    wait_until(browser, lambda d: result_titles(d)[:1] == ["How do I sleep better?"])
    assert search_box(browser).get_attribute("value") == "how can I sleep through the night"
    browser.back()
    wait_until(browser, lambda d: not visible(d, "results-section"))
    assert search_box(browser).get_attribute("value") == ""
    browser.forward()
    browser.forward()
    wait_until(browser, lambda d: result_titles(d)[:1] == ["How can I stop panic attacks?"])
    assert search_box(browser).get_attribute("value") == "my heart races in crowds"


def test_a_too_long_query_says_so_and_the_box_stops_at_2000_characters(browser, page_url):
    open_page(browser, f"{page_url}/?q={'a' * 2001}")
    error = wait_visible(browser, "error")
    assert "too long" in error.text and "2,000" in error.text
    assert not visible(browser, "results-section")
    assert search_box(browser).get_attribute("aria-invalid") == "true"
    assert "error" in search_box(browser).get_attribute("aria-describedby").split()

    open_page(browser, page_url)
    box = search_box(browser)
    browser.execute_script("arguments[0].focus()", box)
    ActionChains(browser).send_keys("b" * 2010).perform()
    assert len(box.get_attribute("value")) == 2000


def test_an_empty_search_asks_for_words_without_searching(browser, page_url):
    open_page(browser, page_url)
    search_box(browser).send_keys("   ", Keys.ENTER)
    error = wait_visible(browser, "error")
    assert "type a few words" in error.text
    assert urlparse(browser.current_url).query == ""
    assert active_id(browser) == "q"


def test_keyboard_only_tab_to_the_box_type_enter_and_tab_to_a_result(browser, page_url):
    open_page(browser, page_url)
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert active_id(browser) == "help-link", "help comes first, on every view"
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert active_id(browser) == "q", "then the search box"
    ActionChains(browser).send_keys("panic when I am in a crowd", Keys.ENTER).perform()
    wait_results(browser)
    assert url_params(browser) == {"q": "panic when I am in a crowd"}

    for expected in ("search-button", "topic"):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        assert active_id(browser) == expected
    chips = len(browser.find_elements(By.CSS_SELECTOR, "#facets a"))
    assert chips >= 2, "the topic chips come before the results"
    for _ in range(chips + len(browser.find_elements(By.CSS_SELECTOR, "#did-you-mean a"))):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        assert browser.execute_script("return document.activeElement.closest('#facets, #did-you-mean') !== null")
    ActionChains(browser).send_keys(Keys.TAB).perform()
    focused = browser.switch_to.active_element
    assert focused.tag_name == "a" and focused.text == result_titles(browser)[0]
    style = browser.execute_script(
        "const e = document.activeElement, s = getComputedStyle(e);"
        "return [e.matches(':focus-visible'), s.outlineStyle, parseFloat(s.outlineWidth)]")
    assert style[0] and style[1] == "solid" and style[2] >= 2, "keyboard focus is not visible"


def test_every_control_shows_its_keyboard_focus(browser, page_url):
    open_page(browser, f"{page_url}/?q=panic+in+crowds")
    wait_results(browser)
    seen = []
    for _ in range(40):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        focus = browser.execute_script(
            "const e = document.activeElement, s = getComputedStyle(e);"
            "return e === document.body ? null : [e.tagName + '#' + e.id + ' ' + e.textContent.trim().slice(0, 30),"
            " s.outlineStyle, parseFloat(s.outlineWidth)]")
        if focus is None or (seen and focus[0] == seen[0]):
            break
        seen.append(focus[0])
        assert focus[1] != "none" and focus[2] >= 2, f"no visible focus on {focus[0]}"
    assert any(name.startswith("INPUT#q") for name in seen) and any(name.startswith("A#") for name in seen)


def test_text_has_enough_contrast(browser, page_url):
    open_page(browser, f"{page_url}/?q=crying+in+therapy")
    wait_results(browser)
    selectors = ("h1, .intro, label, .hint, #status, button, select, .result h3 a, .result-meta span, .answer, "
                 ".answer mark, .site-footer p, .site-footer a")
    ratios = contrast_ratios(browser, selectors)
    assert len(ratios) > 10
    low = [(name, round(ratio, 2)) for name, ratio in ratios if ratio < 4.5]
    assert not low, f"below WCAG AA 4.5:1: {low}"
