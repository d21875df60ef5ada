"""The page follows the crisis level: an imminent danger puts the emergency number above everything, as a
tel: link, and nothing on the page dismisses it; a lesser crisis gets the help box, not the banner."""
from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from page_driver import PHONE, open_page, screenshot, search_box, visible, wait_results, wait_visible

IMMINENT = "i took all my pills an hour ago and now i feel dizzy"
HIGH = "i keep thinking about killing myself"


def search(browser, page_url, text):
    open_page(browser, page_url)
    box = search_box(browser)
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    wait_results(browser)


def test_imminent_danger_puts_the_emergency_number_above_everything(browser, page_url, artifacts):
    search(browser, page_url, IMMINENT)
    banner = wait_visible(browser, "imminent")
    call = banner.find_element(By.CSS_SELECTOR, "a[href^='tel:']")
    assert call.get_attribute("href") == "tel:911" and "911" in call.text
    header = browser.find_element(By.CSS_SELECTOR, "header.site-header")
    assert banner.location["y"] < header.location["y"]  # above the page's own header
    assert browser.execute_script("return document.body.firstElementChild.id") == "imminent"
    assert not banner.find_elements(By.CSS_SELECTOR, "button, [role=button]"), "nothing in the banner dismisses it"
    size = call.size
    assert size["width"] >= 24 and size["height"] >= 24
    screenshot(browser, artifacts / "page-imminent-phone.png", PHONE[0])


def test_the_banner_stays_whatever_the_person_clicks_or_presses(browser, page_url):
    search(browser, page_url, IMMINENT)
    wait_visible(browser, "imminent")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    browser.find_element(By.TAG_NAME, "main").click()
    assert visible(browser, "imminent")


def test_a_crisis_that_is_not_imminent_gets_the_help_box_and_no_banner(browser, page_url):
    search(browser, page_url, HIGH)
    wait_visible(browser, "safety")
    assert not visible(browser, "imminent")
    assert "988" in browser.find_element(By.ID, "safety").text


def test_a_new_calm_search_takes_the_banner_away(browser, page_url):
    search(browser, page_url, IMMINENT)
    wait_visible(browser, "imminent")
    box = search_box(browser)
    box.clear()
    box.send_keys("how do i sleep better")
    box.send_keys(Keys.ENTER)
    wait_results(browser)
    assert not visible(browser, "imminent") and not visible(browser, "safety")
