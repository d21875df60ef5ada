"""How the page shows each kind of API response, against a stand-in API that returns exactly the
response under test: crisis resources, notices, low confidence, long answers, more results,
empty results, server errors and hostile text."""
from __future__ import annotations

from selenium.webdriver.common.by import By

from page_driver import (PHONE, active_id, contrast_ratios, open_page, result_titles, screenshot, visible, wait_results, wait_until,
                         wait_visible)

FILLER = "This sentence is only here to make the answer long enough to be folded. "


def result(n: int, answer: str = "A short answer written for the page tests.", highlight=None, **fields) -> dict:
    item = {"answer_id": f"a{n}", "question_id": f"question-{n}", "question_title": f"Question number {n}?",
            "question_text": "", "question_url": f"https://counselchat.com/questions/question-{n}",
            "answer": answer, "topic": "anxiety", "topics": ["anxiety"], "therapist": f"Therapist {n}",
            "therapist_url": "", "upvotes": n, "views": 10, "score": 1.0 / (n + 1), "highlight": highlight}
    item.update(fields)
    return item


def response(results: list[dict], **fields) -> dict:
    body = {"query": "q", "results": results, "took_ms": 1.0, "index_version": "stub"}
    body.update(fields)
    return body


CRISIS = {"crisis": True, "categories": ["self_harm"], "error": None, "resources": [
    {"name": "988 Suicide & Crisis Lifeline", "contact": "Call or text 988", "url": "https://988lifeline.org",
     "description": "Free and confidential, any time."},
    {"name": "Crisis Text Line", "contact": "Text HOME to 741741", "url": None, "description": None},
    {"name": "Outside the US: find a helpline", "contact": "findahelpline.com", "url": "https://findahelpline.com",
     "description": None},
]}


def test_a_crisis_shows_help_lines_above_the_results_and_the_notice_below(browser, stub, artifacts):
    notice = "These are public answers from 2020, not a substitute for help from a professional."
    stub.respond(response([result(1), result(2)], safety=CRISIS, notice=notice))
    open_page(browser, f"{stub.url}/?q=a+worry")
    wait_results(browser)

    banner = wait_visible(browser, "safety")
    assert "988 Suicide & Crisis Lifeline" in banner.text and "Text HOME to 741741" in banner.text
    assert "Call or text 988" in banner.text and "Free and confidential" in banner.text and "emergency" in banner.text
    calls = banner.find_elements(By.CSS_SELECTOR, "a[href^='tel:']")
    assert [(a.get_attribute("href"), a.text) for a in calls] == [("tel:988", "988")], "only a number to call is a tel: link"
    sites = [(a.get_attribute("href"), a.text) for a in banner.find_elements(By.CSS_SELECTOR, "a[href^='https:']")]
    assert sites == [("https://988lifeline.org/", "988lifeline.org"), ("https://findahelpline.com/", "findahelpline.com")]
    first_result = browser.find_element(By.CSS_SELECTOR, "#results > li")
    assert banner.location["y"] + banner.size["height"] <= first_result.location["y"]
    assert browser.find_element(By.ID, "notice").text == notice
    last_result = browser.find_elements(By.CSS_SELECTOR, "#results > li")[-1]
    assert browser.find_element(By.ID, "notice").location["y"] > last_result.location["y"]
    assert "Support contacts are shown above" in browser.find_element(By.ID, "status").text
    low = [(n, r) for n, r in contrast_ratios(browser, "#safety *, #notice") if r < 4.5]
    assert not low, f"below WCAG AA 4.5:1: {low}"

    screenshot(browser, artifacts / "page-crisis-desktop.png", 1280)
    screenshot(browser, artifacts / "page-crisis-phone.png", PHONE[0])


def test_a_failed_safety_check_still_shows_the_help_lines(browser, stub):
    stub.respond(response([result(1)], safety={"crisis": False, "categories": [], "error": "classifier unavailable",
                                               "resources": CRISIS["resources"]}))
    open_page(browser, f"{stub.url}/?q=a+worry")
    wait_results(browser)
    assert "988" in wait_visible(browser, "safety").text


def test_no_crisis_and_responses_without_the_new_fields_show_no_banner(browser, stub):
    stub.respond(response([result(1)], safety={"crisis": False, "categories": [], "resources": [], "error": None}))
    open_page(browser, f"{stub.url}/?q=a+worry")
    wait_results(browser)
    assert not visible(browser, "safety") and not visible(browser, "notice") and not visible(browser, "low-confidence")

    stub.respond(response([result(1)], safety="garbage", notice=42, low_confidence="yes"))
    open_page(browser, f"{stub.url}/?q=another+worry")
    wait_results(browser)
    assert result_titles(browser) == ["Question number 1?"]
    assert not visible(browser, "safety") and not visible(browser, "notice") and not visible(browser, "low-confidence")


def test_low_confidence_adds_a_gentle_line(browser, stub):
    stub.respond(response([result(1)], low_confidence=True))
    open_page(browser, f"{stub.url}/?q=something+unusual")
    wait_results(browser)
    assert "may not match" in wait_visible(browser, "low-confidence").text


def test_an_empty_result_list_says_nothing_was_found_and_names_the_topic(browser, stub):
    stub.respond(response([]))
    open_page(browser, f"{stub.url}/?q=nothing+like+this&topic=grief-and-loss")
    wait_results(browser)
    message = wait_visible(browser, "no-results").text
    assert "No answers found" in message and "Grief and loss" in message and "All topics" in message
    assert not visible(browser, "more")


def test_a_server_error_says_so_calmly(browser, stub):
    stub.respond({"detail": "internal error"}, status=500)
    open_page(browser, f"{stub.url}/?q=a+worry")
    error = wait_visible(browser, "error")
    assert "Something went wrong on our side" in error.text and "500" in error.text
    assert not visible(browser, "results-section")


def test_a_long_answer_is_folded_around_its_highlight_and_show_more_unfolds_it(browser, stub):
    passage = "The passage that matches the worry best sits in the middle."
    answer = FILLER * 12 + passage + " " + FILLER * 12
    start = answer.index(passage)
    stub.respond(response([result(1, answer, {"start": start, "end": start + len(passage), "text": passage})]))
    open_page(browser, f"{stub.url}/?q=a+worry")
    wait_results(browser)

    body = browser.find_element(By.CSS_SELECTOR, "#results .answer")
    toggle = browser.find_element(By.CSS_SELECTOR, "#results .answer-toggle")
    assert body.find_element(By.TAG_NAME, "mark").text == passage
    assert len(body.text) < len(answer) / 2 and body.text.startswith("…")
    assert toggle.text == "Show more" and toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert body.text == answer.strip() and body.find_element(By.TAG_NAME, "mark").text == passage
    assert toggle.text == "Show less" and toggle.get_attribute("aria-expanded") == "true"
    toggle.click()
    assert len(body.text) < len(answer) / 2


def test_highlight_offsets_count_code_points_like_the_api(browser, stub):
    answer = "Small steps help \U0001F331 a lot. Breathe slowly when the panic starts. Then call a friend."
    passage = "Breathe slowly when the panic starts."
    start = len(answer[:answer.index(passage)])  # Python offsets: code points, as the API sends them
    stub.respond(response([result(1, answer, {"start": start, "end": start + len(passage), "text": passage})]))
    open_page(browser, f"{stub.url}/?q=panic")
    wait_results(browser)
    assert browser.find_element(By.CSS_SELECTOR, "#results .answer mark").text == passage


def test_more_results_asks_for_a_larger_k_and_moves_focus_to_the_first_new_one(browser, stub):
    stub.respond(response([result(n) for n in range(10)]))
    open_page(browser, f"{stub.url}/?q=a+worry")
    wait_results(browser)
    assert stub.requests[-1]["k"] == "10"
    more = wait_visible(browser, "more")
    stub.respond(response([result(n) for n in range(12)]))
    more.click()
    wait_until(browser, lambda d: len(result_titles(d)) == 12)
    assert stub.requests[-1]["k"] == "20" and stub.requests[-1]["q"] == "a worry"
    assert browser.switch_to.active_element.text == "Question number 10?"
    assert not visible(browser, "more"), "fewer results than asked for: there are no more"


def test_text_from_the_api_is_shown_as_text_never_run_as_html(browser, stub):
    hostile = '<img src=x onerror="window.__pwned = 1"><script>window.__pwned = 2</script>'
    stub.respond(response(
        [result(1, answer=hostile, question_title=hostile, therapist=hostile, question_url="javascript:window.__pwned=3")],
        safety={"crisis": True, "categories": [], "error": None,
                "resources": [{"name": hostile, "contact": hostile, "url": "javascript:window.__pwned=4",
                               "description": hostile}]},
        notice=hostile))
    open_page(browser, f"{stub.url}/?q=a+worry")
    wait_results(browser)
    assert browser.find_element(By.CSS_SELECTOR, "#results .answer").text == hostile
    assert browser.find_element(By.CSS_SELECTOR, "#results h3").text == hostile
    title_links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#results h3 a")]
    assert title_links == [f"{stub.url}/q/question-1"], "the title leads to the question's page on this site"
    assert not browser.find_elements(By.CSS_SELECTOR, "a[href^='javascript']"), "a javascript: URL never becomes a link"
    assert not browser.find_elements(By.CSS_SELECTOR, "main img, main script")
    assert not browser.find_elements(By.CSS_SELECTOR, "#safety a[href^='javascript']")
    assert browser.execute_script("return window.__pwned") is None


def test_the_search_box_keeps_focus_after_enter(browser, stub):
    stub.respond(response([result(1)]))
    open_page(browser, stub.url)
    box = browser.find_element(By.ID, "q")
    box.send_keys("a worry\n")
    wait_results(browser)
    assert active_id(browser) == "q"


def test_on_a_phone_the_help_lines_are_scrolled_into_view(browser, stub):
    stub.respond(response([result(n) for n in range(3)], safety=CRISIS))
    browser.set_window_size(PHONE[0], PHONE[1])
    open_page(browser, f"{stub.url}/?q=a+worry")
    wait_results(browser)
    top, height = browser.execute_script(
        "const r = document.getElementById('safety').getBoundingClientRect(); return [r.top, window.innerHeight]")
    assert 0 <= top < height / 2, "the crisis banner starts off screen"


def test_when_more_results_fails_the_answers_already_shown_stay(browser, stub):
    stub.respond(response([result(n) for n in range(10)]))
    open_page(browser, f"{stub.url}/?q=a+worry")
    wait_results(browser)
    stub.respond({"detail": "internal error"}, status=500)
    wait_visible(browser, "more").click()
    assert "Something went wrong" in wait_visible(browser, "error").text
    assert len(result_titles(browser)) == 10 and visible(browser, "results-section")


def test_a_card_names_the_therapist_and_then_their_credentials(browser, stub):
    stub.respond(response([result(1, therapist="Jana Morrow", credentials="Family Therapist, MSc, RP"), result(2)]))
    open_page(browser, f"{stub.url}/?q=a+worry")
    wait_results(browser)
    first, second = browser.find_elements(By.CSS_SELECTOR, "#results > li")[:2]
    assert first.find_element(By.CSS_SELECTOR, ".therapist").text == "Answered by Jana Morrow"
    assert first.find_element(By.CSS_SELECTOR, ".credentials").text == "Family Therapist, MSc, RP"
    assert not second.find_elements(By.CSS_SELECTOR, ".credentials")  # none: nothing shown
