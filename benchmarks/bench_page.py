#!/usr/bin/env python
"""How long the search page takes from pressing Enter to showing results, in headless Chromium.

    python scripts/bench_page.py --index-dir /work/prebuilt/counselchat      # starts scripts/serve.py
    python scripts/bench_page.py --url http://127.0.0.1:8000                 # or a running server

For each worry (the load test's built-in list, or --queries) the script types it into the page,
presses Enter and times, inside the browser, from the Enter keydown to the first animation frame
after the results list changed (the frame that paints them). As a baseline measured in the same
run, it also times a bare fetch() of the same /v1/search request from the same page, and reads the
server's own took_ms. Prints medians and p95s and the page/fetch ratio (the page's own cost).

Needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver) and selenium.
Loopback only; bounded by --rounds x the number of worries.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path


from scripts.stats import nearest_rank
from scripts.load_test import is_loopback, read_worries, serving
from settings import Settings

TARGET_MS = 200.0
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]

# Test-side timing, installed in the page by the benchmark (the page itself carries no timing code).
INSTALL_TIMER = """
window.__bench = {enter: null, sent: null, received: null, shown: null, took: null};
document.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && e.target.id === 'q') {
    Object.assign(window.__bench, {enter: performance.now(), sent: null, received: null, shown: null, took: null});
  }
}, true);
window.__pageFetch = window.fetch;
const pageFetch = window.__pageFetch;
window.fetch = function (resource, options) {
  const b = window.__bench, mine = b.enter !== null && b.sent === null && String(resource).startsWith('/v1/search');
  if (mine) b.sent = performance.now();
  const answer = pageFetch.call(this, resource, options);
  if (mine) answer.then((r) => {
    b.received = performance.now();
    r.clone().json().then((body) => { b.took = body.took_ms; }, () => {});
  }, () => {});
  return answer;
};
new MutationObserver(() => {
  const b = window.__bench;
  if (b.enter !== null && b.shown === null) requestAnimationFrame(() => { if (b.shown === null) b.shown = performance.now(); });
}).observe(document.getElementById('results'), {childList: true});
"""
FETCH_ONCE = """
const [query, done] = arguments;
const started = performance.now();
window.__pageFetch('/v1/search?' + new URLSearchParams({q: query, k: '10'}))
  .then((r) => r.json())
  .then((body) => done([performance.now() - started, body.took_ms, (body.results || []).length]))
  .catch((e) => done([null, null, String(e)]));
"""


def open_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="bench-page-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_window_size(1280, 900)
    return driver, profile


def measure(base: str, worries: list[str], rounds: int) -> dict[str, list[float]]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    driver, profile = open_browser()
    page, fetched, server, before, after, page_server = [], [], [], [], [], []
    try:
        driver.get(base + "/")
        driver.execute_script(INSTALL_TIMER)
        box = driver.find_element(By.ID, "q")
        for round_number in range(rounds + 1):  # round 0 warms up the model, the page and the connection
            for number, worry in enumerate(worries):
                if number % 2:  # alternate which of the pair goes first, so neither gains from order
                    fetch_ms, took_ms, count = driver.execute_async_script(FETCH_ONCE, worry)
                box.clear()
                box.send_keys(worry)
                box.send_keys(Keys.ENTER)
                WebDriverWait(driver, 10).until(lambda d: d.execute_script("return window.__bench.shown !== null"))
                WebDriverWait(driver, 10).until(lambda d: d.execute_script("return window.__bench.took !== null"))
                elapsed, sent, received, page_took = driver.execute_script(
                    "const b = window.__bench; return [b.shown - b.enter, b.sent - b.enter, b.shown - b.received, b.took]")
                if not number % 2:
                    fetch_ms, took_ms, count = driver.execute_async_script(FETCH_ONCE, worry)
                if fetch_ms is None:
                    raise SystemExit(f"fetch failed: {count}")
                if round_number:
                    page.append(elapsed)
                    fetched.append(fetch_ms)
                    server.append(took_ms)
                    before.append(sent)
                    after.append(received)
                    page_server.append(page_took)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return {"page": page, "fetch": fetched, "server": server, "before": before, "after": after,
            "page_server": page_server}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server on loopback; default: start scripts/serve.py")
    parser.add_argument("--index-dir", type=Path, default=Settings().index_dir, help="index for the started server")
    parser.add_argument("--rounds", type=int, default=2, help="timed passes over the worries (plus one warm-up)")
    parser.add_argument("--queries", type=Path, help="file of worries, one per line (first tab-separated column)")
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be in 1..20")
    worries = read_worries(args.queries)[:200]

    if args.url and not is_loopback(args.url):
        parser.error(f"{args.url} is not a loopback address")
    with serving(args.url, args.index_dir, Path(tempfile.gettempdir()) / f"bench_page_server_{os.getpid()}.log") as base:
        times = measure(base, worries, args.rounds)

    page, fetched, server = times["page"], times["fetch"], times["server"]
    print(f"{len(page)} searches ({len(worries)} worries x {args.rounds} rounds) against {base}")
    for name, values in (("Enter -> results painted", page), ("bare fetch of /v1/search", fetched),
                         ("server took_ms (fetch)", server), ("server took_ms (page)", times["page_server"]),
                         ("page: Enter -> request", times["before"]),
                         ("page: response -> painted", times["after"])):
        print(f"{name:<26} median {statistics.median(values):7.1f} ms   p95 {nearest_rank(values, 95):7.1f} ms   "
              f"max {max(values):7.1f} ms")
    ratio = statistics.median(page) / statistics.median(fetched)
    own = [p - f for p, f in zip(page, fetched)]
    print(f"page / bare fetch (medians): {ratio:.2f}x; page's own cost per search (Enter -> painted minus "
          f"the same search's bare fetch): median {statistics.median(own):.1f} ms")
    verdict = "met" if nearest_rank(page, 95) <= TARGET_MS else "NOT met"
    print(f"target: results within {TARGET_MS:.0f} ms of Enter at p95: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
