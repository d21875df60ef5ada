/* counsel-search page, before its first paint: a page opened with a search in its URL (?q=...) or on
 * a question (/q/<id>) shows only "Searching…" until what it loads is there, then everything at once.
 * Otherwise the help lines of a crisis, which come above everything, or the answers arriving above
 * the footer would move the page under the reader's eyes (a layout shift: Lighthouse measured 0.235
 * when results arrived). page.js lifts this when it has shown the answers or an error;
 * if it never runs, the page shows itself after a few seconds anyway. Loaded before the body (it must
 * act before the first paint) and tiny for that reason.
 */
"use strict";
if (new URLSearchParams(window.location.search).get("q") || window.location.pathname.startsWith("/q/")) {
  document.documentElement.classList.add("restoring");
  window.setTimeout(() => document.documentElement.classList.remove("restoring"), 6000);
}
