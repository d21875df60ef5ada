"""Reading the search page from a test: waits and lookups shared by the browser tests."""
from __future__ import annotations

import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT_S = 10
DESKTOP = (1280, 900)
PHONE = (360, 740)


def wait_until(driver, condition, timeout: float = WAIT_S):
    return WebDriverWait(driver, timeout).until(condition)


def open_page(driver, url: str) -> None:
    """Load the page and wait until its script has run (the topic list holds at least "All topics")."""
    driver.get(url)
    wait_until(driver, lambda d: d.execute_script(
        "return document.readyState === 'complete' && document.getElementById('topic').options.length >= 1"))


def visible(driver, element_id: str) -> bool:
    return driver.find_element(By.ID, element_id).is_displayed()


def wait_visible(driver, element_id: str):
    return wait_until(driver, EC.visibility_of_element_located((By.ID, element_id)))


def wait_results(driver) -> list:
    """Wait for a finished search (results or the no-results line) and return the result items."""
    wait_until(driver, lambda d: d.execute_script(
        "const s = document.getElementById('results-section');"
        "return !s.hidden && !s.hasAttribute('aria-busy')"))
    return driver.find_elements(By.CSS_SELECTOR, "#results > li.result")


def result_titles(driver) -> list[str]:
    """The titles on screen, read in one step (a list being re-rendered cannot go stale under us)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#results > li.result h3'), h => h.innerText.trim())")


def search_box(driver):
    return driver.find_element(By.ID, "q")


def active_id(driver) -> str:
    return driver.execute_script("return document.activeElement && document.activeElement.id")


def screenshot(driver, path: Path, width: int) -> Path:
    """A full-page screenshot at `width` CSS pixels (the window grows to the page's height)."""
    driver.execute_script("document.activeElement && document.activeElement.blur()")
    driver.set_window_size(width, 800)
    height = driver.execute_script("return Math.ceil(document.documentElement.scrollHeight)")
    driver.set_window_size(width, min(max(height + 140, 600), 6000))
    time.sleep(0.1)
    driver.save_screenshot(str(path))
    return path


# WCAG 2.x relative luminance and contrast of the computed colours, against the first opaque background up the tree.
CONTRAST_JS = """
function rgb(c) { const m = c.match(/[0-9.]+/g).map(Number); return m.length > 3 ? m : m.concat([1]); }
function lum([r, g, b]) { return [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
  .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0); }
function background(e) { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c[3] > 0.5) return c; }
  return [255, 255, 255, 1]; }
return Array.from(document.querySelectorAll(arguments[0])).filter(e => e.offsetParent !== null && e.textContent.trim()).map(e => {
  const a = lum(rgb(getComputedStyle(e).color)), b = lum(background(e));
  return [e.tagName + '.' + e.className, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)]; });
"""


def contrast_ratios(driver, selectors: str) -> list[tuple[str, float]]:
    """(element, WCAG contrast ratio) for every visible element with text matching `selectors`."""
    return [tuple(pair) for pair in driver.execute_script(CONTRAST_JS, selectors)]
