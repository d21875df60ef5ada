"""What the page offers besides a ranked list (issues 16 and 20), in headless Chromium against the real
API over the page's test corpus: each question once with the other answers folded, suggestions as
you type (and the help line for a crisis-looking prefix), did you mean, topic chips, related
questions and a page per question, why a result ranked, help in the same place on every view,
targets of at least 24 x 24 px, and no layout shift when results arrive."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from page_driver import (PHONE, active_id, open_page, result_titles, screenshot, search_box, visible, wait_results,
                         wait_until, wait_visible)
from test_page_responses import response, result


def url_params(driver) -> dict:
    return {key: values[0] for key, values in parse_qs(urlparse(driver.current_url).query).items()}


def options(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#suggestions [role=option]'), o => o.textContent)")


def type_slowly(box, text: str) -> None:
    for character in text:
        box.send_keys(character)


def test_each_question_shows_once_with_its_best_answer_and_the_others_folded(browser, page_url):
    open_page(browser, f"{page_url}/?q=how+do+we+rebuild+trust+in+our+relationship")
    items = wait_results(browser)
    titles = result_titles(browser)
    assert titles[0] == "How do we rebuild our relationship after cheating?"
    assert len(titles) == len(set(titles)) >= 3, "several distinct questions on the first screen"
    first = items[0]
    assert len(first.find_elements(By.CSS_SELECTOR, ".answer-block")) == 1
    toggle = first.find_element(By.CSS_SELECTOR, ".fold-toggle")
    assert toggle.text == "1 more answer" and toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    blocks = first.find_elements(By.CSS_SELECTOR, ".answer-block")
    assert len(blocks) == 2 and {"Answered by Eli Novak", "Answered by Cara Diaz"} == {
        b.find_element(By.CSS_SELECTOR, ".therapist").text for b in blocks}
    toggle.click()
    assert len(first.find_elements(By.CSS_SELECTOR, ".answer-block")) == 1


def test_suggestions_as_you_type_by_keyboard(browser, page_url, artifacts):
    open_page(browser, page_url)
    box = search_box(browser)
    type_slowly(box, "how do i sl")
    wait_until(browser, lambda d: options(d)[:1] == ["How do I sleep better?"])
    assert box.get_attribute("aria-expanded") == "true" and box.get_attribute("role") == "combobox"
    browser.save_screenshot(str(artifacts / "page-suggestions-desktop.png"))  # as it is: focus stays in the box
    box.send_keys(Keys.ARROW_DOWN)
    assert box.get_attribute("aria-activedescendant") == "suggestion-0"
    assert browser.find_element(By.ID, "suggestion-0").get_attribute("aria-selected") == "true"
    box.send_keys(Keys.ENTER)
    wait_results(browser)
    assert url_params(browser) == {"q": "How do I sleep better?"}
    assert result_titles(browser)[0] == "How do I sleep better?"
    assert not visible(browser, "suggest-box") and box.get_attribute("aria-expanded") == "false"


def test_suggestions_close_with_escape_and_follow_what_is_typed(browser, page_url):
    open_page(browser, page_url)
    box = search_box(browser)
    type_slowly(box, "panic")
    wait_until(browser, lambda d: options(d) == ["How can I stop panic attacks?"])
    box.send_keys(Keys.ESCAPE)
    assert not visible(browser, "suggest-box") and box.get_attribute("value") == "panic"
    box.send_keys(" zebra")
    wait_until(browser, lambda d: not visible(d, "suggest-box"))
    assert options(browser) == []


def test_a_crisis_looking_prefix_shows_the_help_line_instead_of_suggestions(browser, page_url, artifacts):
    open_page(browser, page_url)
    box = search_box(browser)
    type_slowly(box, "i want to kill mys")
    help_box = wait_visible(browser, "suggest-help")
    assert options(browser) == [] and box.get_attribute("aria-expanded") == "false"
    calls = [a.get_attribute("href") for a in help_box.find_elements(By.CSS_SELECTOR, "a[href^='tel:']")]
    assert "tel:911" in calls and "tel:988" in calls
    assert "Help lines are shown" in browser.find_element(By.ID, "suggest-status").get_attribute("textContent")
    browser.save_screenshot(str(artifacts / "page-suggest-crisis-desktop.png"))


def test_suggestions_never_offer_method_or_crisis_wording(browser, page_url):
    for prefix in ("overd", "how many pi", "jump off", "i want to di"):
        found = httpx.get(f"{page_url}/v1/suggest", params={"q": prefix}).json()
        words = " ".join(s["title"].lower() for s in found["suggestions"])
        assert not any(w in words for w in ("overdose", "pills", "jump", "die")), prefix
    assert httpx.get(f"{page_url}/v1/suggest", params={"q": "i want to di"}).json()["crisis"] is True


def test_did_you_mean_offers_the_corrected_query_and_follows_it(browser, page_url):
    open_page(browser, f"{page_url}/?q=my+relashionship+after+cheating")
    wait_results(browser)
    line = wait_visible(browser, "did-you-mean")
    corrected = line.find_element(By.TAG_NAME, "a")
    assert corrected.text == "my relationship after cheating"
    corrected.click()
    wait_until(browser, lambda d: url_params(d) == {"q": "my relationship after cheating"})
    wait_results(browser)
    assert result_titles(browser)[0] == "How do we rebuild our relationship after cheating?"
    assert not visible(browser, "did-you-mean")


def test_a_corrected_query_used_says_so_and_offers_the_original(browser, stub):
    stub.respond(response([result(1)], did_you_mean={"query": "anxiety at work", "used": True, "original": "anxeity at work"}))
    open_page(browser, f"{stub.url}/?q=anxeity+at+work")
    wait_results(browser)
    line = wait_visible(browser, "did-you-mean")
    assert line.text == "Showing answers for anxiety at work. Search instead for anxeity at work."
    assert stub.requests[-1]["spellcheck"] == "true"
    line.find_elements(By.TAG_NAME, "a")[1].click()
    wait_until(browser, lambda d: url_params(d) == {"q": "anxeity at work", "exact": "1"})
    wait_until(browser, lambda d: stub.requests[-1]["q"] == "anxeity at work" and "spellcheck" not in stub.requests[-1])


def test_topic_chips_count_the_whole_matching_set_and_filter_keeping_the_query(browser, page_url, artifacts):
    open_page(browser, f"{page_url}/?q=crying+all+the+time")
    wait_results(browser)
    chips = wait_visible(browser, "facets").find_elements(By.CSS_SELECTOR, "a.chip")
    names = [c.text.split("\n")[0] for c in chips]
    assert names[0].startswith("All topics") and chips[0].get_attribute("aria-current") == "true"
    expected = httpx.get(f"{page_url}/v1/search", params={"q": "crying all the time", "facets": "true"}).json()["facets"]
    counts = {f["topic"]: f["questions"] for f in expected}
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('#facets a.chip'), a => [a.href, a.querySelector('.chip-count')"
        " && a.querySelector('.chip-count').textContent])")
    assert [(parse_qs(urlparse(href).query).get("topic", [None])[0], count) for href, count in shown[1:]] == [
        (topic, str(n)) for topic, n in counts.items()]
    screenshot(browser, artifacts / "page-chips-phone.png", PHONE[0])

    grief = browser.find_element(By.CSS_SELECTOR, "#facets a.chip[href*='topic=grief-and-loss']")
    grief.click()
    wait_until(browser, lambda d: url_params(d) == {"q": "crying all the time", "topic": "grief-and-loss"})
    wait_until(browser, lambda d: result_titles(d) == ["My dog died and I cannot stop grieving"])
    chosen = browser.find_element(By.CSS_SELECTOR, "#facets a.chip[aria-current='true']")
    assert "Grief and loss" in chosen.text and len(browser.find_elements(By.CSS_SELECTOR, "#facets a.chip")) == len(chips)
    assert search_box(browser).get_attribute("value") == "crying all the time"
    browser.find_element(By.CSS_SELECTOR, "#facets a.chip").click()  # All topics
    wait_until(browser, lambda d: url_params(d) == {"q": "crying all the time"})


def test_related_questions_lead_to_a_page_per_question_with_all_its_answers(browser, page_url, artifacts):
    open_page(browser, f"{page_url}/?q=panic+in+crowds")
    items = wait_results(browser)
    related = items[0].find_elements(By.CSS_SELECTOR, ".related a")
    assert len(related) == 3 and all(urlparse(a.get_attribute("href")).path.startswith("/q/") for a in related)
    target = next(a for a in related if a.text == "Is crying in therapy normal?")
    target.click()
    wait_until(browser, lambda d: urlparse(d.current_url).path == "/q/is-crying-in-therapy-normal")
    wait_visible(browser, "question-view")
    assert browser.find_element(By.ID, "question-title").text == "Is crying in therapy normal?"
    assert active_id(browser) == "question-title", "focus moves to the question"
    assert browser.title == "Is crying in therapy normal?: counsel-search"
    answers = browser.find_elements(By.CSS_SELECTOR, "#question-answers > li")
    assert [a.find_element(By.CSS_SELECTOR, "h4").text for a in answers] == ["Ana Lima", "Ben Okafor"]
    profile = answers[0].find_element(By.CSS_SELECTOR, ".profile a")
    assert profile.get_attribute("href") == "https://counselchat.com/therapists/ana-lima"
    assert "noreferrer" in profile.get_attribute("rel")
    assert browser.find_elements(By.CSS_SELECTOR, "#question-related-list a")
    assert not visible(browser, "results-section")
    screenshot(browser, artifacts / "page-question-desktop.png", 1280)

    browser.back()
    wait_until(browser, lambda d: result_titles(d)[:1] == ["How can I stop panic attacks?"])
    assert not visible(browser, "question-view")


def test_a_question_link_opened_directly_and_a_stale_one(browser, page_url):
    open_page(browser, f"{page_url}/q/how-do-i-sleep-better")
    wait_visible(browser, "question-view")
    assert browser.find_element(By.ID, "question-title").text == "How do I sleep better?"
    assert "worrying about work" in browser.find_element(By.ID, "question-text").text
    description = browser.find_element(By.CSS_SELECTOR, "meta[name=description]").get_attribute("content")
    assert description.startswith("I lie awake for hours")

    assert httpx.get(f"{page_url}/q/no-such-question").status_code == 404
    open_page(browser, f"{page_url}/q/no-such-question")
    assert "could not find this question" in wait_visible(browser, "error").text
    assert not visible(browser, "question-view")


def test_why_this_answer_names_the_words_matched_and_the_signals(browser, page_url):
    open_page(browser, f"{page_url}/?q=I+cry+in+therapy+and+feel+embarrassed")
    items = wait_results(browser)
    line = items[0].find_element(By.CSS_SELECTOR, ".why-line").text
    assert line.startswith("Why this answer: matched your words") and "“cry”" in line and "“therapy”" in line
    assert "“and”" not in line and "“feel”" not in line, "common words are not a reason"
    details = items[0].find_element(By.CSS_SELECTOR, "details.signals")
    details.find_element(By.TAG_NAME, "summary").click()
    values = details.find_elements(By.CSS_SELECTOR, "dd")
    assert len(values) >= 5 and all(float(v.text) == float(v.text) for v in values)


def help_link_place(driver) -> list:
    return driver.execute_script(
        "const a = document.getElementById('help-link'), r = a.getBoundingClientRect();"
        "const first = Array.from(document.querySelectorAll('a[href], button, input, select, summary'))"
        "  .find(e => e.offsetParent !== null);"
        "return [Math.round(r.left), Math.round(r.top), Math.round(r.width), Math.round(r.height), first === a]")


def test_help_is_in_the_same_place_on_every_view(browser, page_url):
    places = []
    for path in ("/", "/?q=panic+in+crowds", "/q/how-can-i-stop-panic-attacks"):
        open_page(browser, page_url + path)
        if "q=" in path:
            wait_results(browser)
        if path.startswith("/q/"):
            wait_visible(browser, "question-view")
        places.append(help_link_place(browser))
    assert places[0] == places[1] == places[2] and places[0][4] is True, places
    assert places[0][2] >= 24 and places[0][3] >= 24
    browser.find_element(By.ID, "help-link").click()
    wait_until(browser, lambda d: d.execute_script("return location.hash") == "#help")
    lines = wait_visible(browser, "help-lines").text
    assert "988" in lines and "911" in lines
    assert visible(browser, "question-view"), "jumping to the help lines leaves the view as it is"


TARGETS_JS = """
const small = [];
for (const e of document.querySelectorAll('a[href], button, input, select, summary, [role=option]')) {
  if (e.offsetParent === null) continue;
  const style = getComputedStyle(e), r = e.getBoundingClientRect();
  const inText = style.display === 'inline' && e.parentElement && e.parentElement.matches('p, li') &&
                 e.parentElement.textContent.trim() !== e.textContent.trim();
  if (!inText && (r.width < 24 || r.height < 24)) small.push([e.tagName, e.className, e.textContent.trim().slice(0, 30), r.width, r.height]);
}
return small;
"""


def test_every_target_is_at_least_24_by_24_css_pixels(browser, page_url):
    for path in ("/?q=how+do+we+rebuild+our+relationship", "/q/is-crying-in-therapy-normal"):
        for width in (1280, PHONE[0]):
            browser.set_window_size(width, 900)
            open_page(browser, page_url + path)
            wait_until(browser, lambda d: visible(d, "results-section") or visible(d, "question-view"))
            for toggle in browser.find_elements(By.CSS_SELECTOR, ".fold-toggle, details.signals summary"):
                toggle.click()
            assert browser.execute_script(TARGETS_JS) == [], (path, width)
    open_page(browser, page_url)
    type_slowly(search_box(browser), "how do")
    wait_until(browser, lambda d: len(options(d)) >= 1)
    assert browser.execute_script(TARGETS_JS) == []


LAYOUT_SHIFT_JS = """
const done = arguments[arguments.length - 1];
new PerformanceObserver(() => {}).observe({type: 'layout-shift', buffered: true});
setTimeout(() => done(performance.getEntriesByType('layout-shift').filter(e => !e.hadRecentInput)
                       .reduce((sum, e) => sum + e.value, 0)), 300);
"""


def test_results_and_the_crisis_banner_arriving_move_nothing_on_screen(browser, page_url, stub):
    imminent = {"crisis": True, "level": "imminent", "categories": ["suicide"], "message": "Call 911 now.",
                "resources": [{"name": "Emergency services", "contact": "Call 911", "url": "tel:911", "emergency": True}]}
    stub.respond(response([result(n) for n in range(5)], safety=imminent))
    for url in (f"{page_url}/", f"{page_url}/?q=panic+in+crowds", f"{page_url}/q/is-crying-in-therapy-normal",
                f"{stub.url}/?q=a+worry"):
        for width in (1280, PHONE[0]):
            browser.set_window_size(width, 800)
            open_page(browser, url)
            wait_until(browser, lambda d: visible(d, "results-section") or visible(d, "question-view") or
                       d.execute_script("return document.querySelectorAll('#help-lines li').length > 0"))
            shift = browser.execute_async_script(LAYOUT_SHIFT_JS)
            assert shift < 0.01, (url, width, shift)
    assert visible(browser, "imminent")
