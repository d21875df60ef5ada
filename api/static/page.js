/* counsel-search page: search box -> /v1/search -> results. Plain JS, no build step, no framework.
 *
 * Rules this file keeps:
 * - Data from the API is only ever put in the page as text (textContent / text nodes), never as
 *   HTML, and links are made only for http(s) URLs: an answer can contain anything.
 * - The search lives in the URL (/?q=...&topic=...): opening it shows the results, back/forward
 *   re-run the search of that history entry.
 * - Fields added to the API later (safety, notice, low_confidence) are read defensively: absent or
 *   malformed means "nothing to show", never a broken page.
 */
"use strict";

(function () {
  const PAGE_SIZE = 10;          // results per request at first, and added by "More results"
  const MAX_K = 50;              // the API's upper bound for k
  const COLLAPSE_OVER = 700;     // answers longer than this (characters) start collapsed
  const EXCERPT = 420;           // about how much of a collapsed answer is shown
  const STARTUP_RETRIES = 15;    // the API answers 503 while it loads the index; retry this often
  const RETRY_MS = 2000;

  const $ = (id) => document.getElementById(id);
  const form = $("search-form"), input = $("q"), topicSelect = $("topic");
  const statusLine = $("status"), errorBox = $("error");
  const safetyBox = $("safety"), safetyLead = $("safety-lead"), safetyList = $("safety-resources");
  const imminentBox = $("imminent"), imminentHeading = $("imminent-heading"), imminentMessage = $("imminent-message");
  const imminentCall = $("imminent-call");
  const section = $("results-section"), heading = $("results-heading"), list = $("results");
  const noResults = $("no-results"), lowConfidence = $("low-confidence"), moreButton = $("more"), notice = $("notice");

  let shown = null;            // {q, topic, k} of the results on screen
  let pending = null;          // AbortController of the request in flight
  let requestNumber = 0;       // only the latest request may change the page

  // ---------- small helpers ----------

  function node(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined && text !== null) element.textContent = String(text);
    return element;
  }

  function safeHttpUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      const url = new URL(value, window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function externalLink(href, text) {
    const link = node("a", null, text);
    link.href = href;
    link.rel = "noreferrer noopener";
    return link;
  }

  function topicLabel(slug) {
    const words = String(slug || "").replace(/[-_]+/g, " ").trim();
    return words ? words.charAt(0).toUpperCase() + words.slice(1) : "";
  }

  function plural(n, one, many) {
    return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
  }

  // ---------- URL state ----------

  function stateFromUrl() {
    const params = new URLSearchParams(window.location.search);
    return { q: params.get("q") || "", topic: params.get("topic") || "" };
  }

  function urlFor(state) {
    const params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    if (state.topic) params.set("topic", state.topic);
    const query = params.toString();
    return query ? `/?${query}` : "/";
  }

  function showStateInForm(state) {
    input.value = state.q;
    ensureTopicOption(state.topic);
    topicSelect.value = state.topic;
  }

  // ---------- topics ----------

  function ensureTopicOption(topic) {
    if (!topic || Array.from(topicSelect.options).some((o) => o.value === topic)) return;
    topicSelect.append(new Option(topicLabel(topic), topic));
  }

  async function loadTopics(attempt = 0) {
    let response;
    try {
      response = await fetch("/v1/topics", { headers: { Accept: "application/json" } });
    } catch (_) {
      return; // offline: the filter keeps "All topics"; searching reports the problem
    }
    if (response.status === 503 && attempt < STARTUP_RETRIES) {
      window.setTimeout(() => loadTopics(attempt + 1), RETRY_MS);
      return;
    }
    if (!response.ok) return;
    let body;
    try { body = await response.json(); } catch (_) { return; }
    const topics = Array.isArray(body && body.topics) ? body.topics : [];
    const chosen = topicSelect.value;
    const sorted = topics.filter((t) => t && typeof t.topic === "string")
      .sort((a, b) => topicLabel(a.topic).localeCompare(topicLabel(b.topic)));
    topicSelect.replaceChildren(new Option("All topics", ""));
    for (const t of sorted) {
      const count = Number.isFinite(t.answers) ? ` (${t.answers})` : "";
      topicSelect.append(new Option(topicLabel(t.topic) + count, t.topic));
    }
    ensureTopicOption(chosen);
    topicSelect.value = chosen;
  }

  // ---------- messages ----------

  function clearMessages() {
    errorBox.hidden = true;
    errorBox.replaceChildren();
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", "q-hint");
  }

  /* An error about what was typed is tied to the box, so a screen reader reads it with the box. */
  function showError(text, aboutTheQuery = false) {
    statusLine.textContent = "";
    errorBox.replaceChildren(node("p", null, text));
    errorBox.hidden = false;
    if (aboutTheQuery) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "q-hint error");
    }
  }

  function hideResults() {
    section.hidden = true;
    safetyBox.hidden = true;
    list.replaceChildren();
    shown = null;
  }

  function errorText(status, detail, state) {
    if (status === 0) {
      return "We could not reach the search service. Please check your connection and try again.";
    }
    if (status === 503) {
      return "The search is still starting up. Please try again in a few seconds.";
    }
    if (status === 422 || status === 400) {
      const reason = detail ? ` (${detail})` : "";
      if (state.q.trim().length > 2000 || /limit|too long|characters/i.test(detail || "")) {
        return `That is too long to search${reason}. Please shorten it to 2,000 characters or fewer ` +
               "and try again: a sentence or two is enough.";
      }
      return `We could not search for that${reason}. Please change the words or the topic and try again.`;
    }
    return `Something went wrong on our side (error ${status}). Please try again in a moment.`;
  }

  // ---------- safety banner, notices ----------

  /* imminent: a banner above everything with the emergency number as a tel: link. It has no close
     button: it stays until the next search says otherwise (a person in danger must not lose it). */
  function renderImminent(safety, resources) {
    if (!(safety && safety.level === "imminent")) {
      imminentBox.hidden = true;
      return false;
    }
    const spanish = safety.language === "es";
    imminentHeading.textContent = spanish ? "Si estás en peligro ahora mismo" : "If you are in danger right now";
    imminentMessage.textContent = typeof safety.message === "string" ? safety.message : "";
    const emergency = resources.find((r) => r.emergency === true) || resources[0];
    const contact = emergency && typeof emergency.contact === "string" ? emergency.contact : "";
    const number = (typeof emergency?.url === "string" && emergency.url.startsWith("tel:"))
      ? emergency.url.slice(4) : (contact.match(/\+?\d[\d\s().-]*\d|\d+/) || [""])[0].replace(/[^0-9+]/g, "");
    imminentCall.hidden = !number;
    if (number) {
      imminentCall.href = `tel:${number}`;
      imminentCall.textContent = spanish ? `Llama al ${number}` : `Call ${number}`;
    }
    imminentBox.hidden = false;
    return true;
  }

  function renderSafety(safety) {
    const valid = safety && typeof safety === "object";
    const crisis = valid && safety.crisis === true;
    const failed = valid && typeof safety.error === "string" && safety.error.length > 0;
    const resources = valid && Array.isArray(safety.resources) ? safety.resources.filter((r) => r && typeof r === "object") : [];
    renderImminent(valid ? safety : null, resources);
    if (!crisis && !failed) {
      safetyBox.hidden = true;
      safetyList.replaceChildren();
      return false;
    }
    safetyLead.textContent = typeof safety.message === "string" && safety.message ? safety.message : (crisis
      ? "What you wrote sounds very painful. You deserve support right now, and these people are ready to listen:"
      : "If you are going through something painful right now, people are ready to listen:");
    safetyList.replaceChildren(...resources.map(renderResource));
    safetyList.hidden = safetyList.children.length === 0;
    safetyBox.hidden = false;
    return true;
  }

  /* "Call or text 988", "Call 911", "988": the number becomes a tel: link, the words stay as they are. */
  function contactLine(text, href) {
    const line = node("span", "resource-contact");
    const host = href ? new URL(href).hostname.replace(/^www\./, "") : "";
    if (href && text.toLowerCase() === host) {
      line.append(externalLink(href, text));
      return line;
    }
    const number = text.match(/\+?\d[\d\s().-]*\d|\d/);
    if (number && (/\bcall\b/i.test(text) || text.trim() === number[0])) {
      const call = node("a", null, number[0]);
      call.href = `tel:${number[0].replace(/[^0-9+]/g, "")}`;
      line.append(text.slice(0, number.index), call, text.slice(number.index + number[0].length));
    } else {
      line.textContent = text;
    }
    return line;
  }

  function renderResource(resource) {
    const item = node("li", "resource");
    item.append(node("span", "resource-name", resource.name || "Support line"));
    const href = safeHttpUrl(resource.url);
    const contact = typeof resource.contact === "string" ? resource.contact.trim() : "";
    if (contact) item.append(contactLine(contact, href));
    if (resource.description) item.append(node("span", "resource-description", resource.description));
    if (href && !item.querySelector(`a[href="${CSS.escape(href)}"]`)) {
      const line = node("span", "resource-link");
      line.append(externalLink(href, new URL(href).hostname.replace(/^www\./, "")));
      item.append(line);
    }
    return item;
  }

  function renderText(element, value) {
    const text = typeof value === "string" ? value.trim() : "";
    element.textContent = text;
    element.hidden = !text;
  }

  /* Help lines must be seen without scrolling (on a phone they start below the fold): scroll them
     up to the top if they would otherwise begin in the lower part of the screen. Focus stays put. */
  function bringIntoView(element) {
    const top = element.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight * 0.6) element.scrollIntoView({ block: "start" });
  }

  // ---------- one result ----------

  /* The API gives highlight offsets in Unicode code points (Python); JS strings index UTF-16 units.
     They agree unless the answer holds characters outside the BMP (emoji); then convert. */
  function highlightRange(answer, highlight) {
    if (!highlight || typeof highlight !== "object") return null;
    const { start, end, text } = highlight;
    if (Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end > start) {
      if (answer.slice(start, end) === text || (text === undefined && end <= answer.length)) return [start, end];
      const points = Array.from(answer);
      if (end <= points.length) {
        const from = points.slice(0, start).join("").length;
        const to = from + points.slice(start, end).join("").length;
        if (text === undefined || answer.slice(from, to) === text) return [from, to];
      }
    }
    if (typeof text === "string" && text) {
      const at = answer.indexOf(text);
      if (at >= 0) return [at, at + text.length];
    }
    return null;
  }

  function wordBoundary(text, at, forward) {
    if (at <= 0) return 0;
    if (at >= text.length) return text.length;
    const space = forward ? text.indexOf(" ", at) : text.lastIndexOf(" ", at);
    if (space < 0 || Math.abs(space - at) > 40) return at;
    return forward ? space : space + 1;
  }

  /* The part of a long answer shown collapsed: the start, or a window around the highlight. */
  function excerptWindow(answer, range) {
    if (!range || range[1] <= EXCERPT) return [0, wordBoundary(answer, Math.max(EXCERPT, range ? range[1] : 0), true)];
    const from = wordBoundary(answer, Math.max(0, range[0] - 140), false);
    const to = wordBoundary(answer, Math.min(answer.length, Math.max(range[1] + 120, from + EXCERPT)), true);
    return [from, to];
  }

  /* A passage that is the whole answer picks nothing out: then the answer is shown unmarked. */
  function isWholeAnswer(answer, range) {
    return !range || answer.slice(0, range[0]).trim() === "" && answer.slice(range[1]).trim() === "";
  }

  function fillAnswer(element, answer, range, window) {
    const [from, to] = window;
    const parts = [];
    if (from > 0) parts.push("… ");
    if (range && range[0] < to && range[1] > from) {
      const markFrom = Math.max(range[0], from), markTo = Math.min(range[1], to);
      parts.push(answer.slice(from, markFrom), node("mark", null, answer.slice(markFrom, markTo)), answer.slice(markTo, to));
    } else {
      parts.push(answer.slice(from, to));
    }
    if (to < answer.length) parts.push(" …");
    element.replaceChildren(...parts.map((p) => (typeof p === "string" ? document.createTextNode(p) : p)));
  }

  function renderResult(result, index) {
    const item = node("li", "result");
    const article = node("article");
    const titleId = `result-${index}-title`;
    article.setAttribute("aria-labelledby", titleId);

    const title = node("h3");
    title.id = titleId;
    const titleText = result.question_title || "Question";
    const href = safeHttpUrl(result.question_url);
    title.append(href ? externalLink(href, titleText) : document.createTextNode(titleText));
    article.append(title);

    const meta = node("p", "result-meta");
    if (result.topic) meta.append(node("span", "topic-tag", topicLabel(result.topic)));
    if (result.therapist) meta.append(node("span", "therapist", `Answered by ${result.therapist}`));
    if (result.credentials) meta.append(node("span", "credentials", result.credentials));
    if (Number.isFinite(result.upvotes)) meta.append(node("span", "upvotes", plural(result.upvotes, "upvote", "upvotes")));
    article.append(meta);

    const answer = typeof result.answer === "string" ? result.answer : "";
    const found = highlightRange(answer, result.highlight);
    const range = isWholeAnswer(answer, found) ? null : found;
    const body = node("p", "answer");
    body.id = `result-${index}-answer`;
    article.append(body);
    const full = [0, answer.length];
    if (answer.length > COLLAPSE_OVER) {
      const short = excerptWindow(answer, range);
      fillAnswer(body, answer, range, short);
      const toggle = node("button", "link-button answer-toggle", "Show more");
      toggle.type = "button";
      toggle.setAttribute("aria-expanded", "false");
      toggle.setAttribute("aria-controls", body.id);
      toggle.addEventListener("click", () => {
        const open = toggle.getAttribute("aria-expanded") !== "true";
        fillAnswer(body, answer, range, open ? full : short);
        toggle.setAttribute("aria-expanded", String(open));
        toggle.textContent = open ? "Show less" : "Show more";
      });
      article.append(toggle);
    } else {
      fillAnswer(body, answer, range, full);
    }
    item.append(article);
    return item;
  }

  // ---------- results ----------

  function render(body, state, previousCount) {
    const results = Array.isArray(body && body.results) ? body.results.filter((r) => r && typeof r === "object") : [];
    const crisis = renderSafety(body && body.safety);
    lowConfidence.hidden = !(body && body.low_confidence === true && results.length > 0);
    list.replaceChildren(...results.map(renderResult));
    if (results.length === 0 && crisis) {
      // under the help lines nothing fitted: the help stands alone, no "try other words"
      noResults.textContent = "The people listed above are the best help for this right now.";
      noResults.hidden = false;
    } else if (results.length === 0) {
      const where = state.topic ? ` in the topic “${topicLabel(state.topic)}”` : "";
      noResults.textContent = `No answers found for this search${where}. ` +
        (state.topic ? "Try “All topics”, or describe it in other words." : "Try describing it in other words.");
      noResults.hidden = false;
    } else {
      noResults.hidden = true;
    }
    moreButton.hidden = !(results.length >= state.k && state.k < MAX_K);
    renderText(notice, body && body.notice);
    section.hidden = false;
    shown = state;

    const count = results.length ? `Showing ${plural(results.length, "answer", "answers")}.` : "No answers found.";
    statusLine.textContent = crisis ? `Support contacts are shown above the answers. ${count}` : count;
    document.title = "Answers: counsel-search";

    if (crisis && previousCount === undefined) bringIntoView(imminentBox.hidden ? safetyBox : imminentBox);
    if (previousCount !== undefined) {
      // "More results" was pressed: continue from the first new answer (or the list, if none came).
      const target = results.length > previousCount ? list.children[previousCount].querySelector("h3 a, h3") : heading;
      if (!target.matches("a")) target.tabIndex = -1;
      target.focus();
    }
  }

  async function search(state, previousCount, attempt = 0) {
    if (pending) pending.abort();
    const controller = new AbortController();
    pending = controller;
    const mine = ++requestNumber;
    clearMessages();
    statusLine.textContent = "Searching…";
    section.setAttribute("aria-busy", "true");

    const params = new URLSearchParams({ q: state.q, k: String(state.k) });
    if (state.topic) params.set("topic", state.topic);
    let status = 0, body = null;
    try {
      const response = await fetch(`/v1/search?${params}`, {
        headers: { Accept: "application/json" }, signal: controller.signal,
      });
      status = response.status;
      try { body = await response.json(); } catch (_) { body = null; }
    } catch (error) {
      if (error && error.name === "AbortError") return;
    }
    if (mine !== requestNumber) return;
    pending = null;
    section.removeAttribute("aria-busy");

    if (status === 200 && body) {
      render(body, state, previousCount);
      return;
    }
    if (status === 503 && attempt < STARTUP_RETRIES) {
      statusLine.textContent = "The search is starting up; trying again in a moment…";
      window.setTimeout(() => { if (mine === requestNumber) search(state, previousCount, attempt + 1); }, RETRY_MS);
      return;
    }
    if (previousCount === undefined) hideResults();  // a failed "More results" keeps what is shown
    const detail = body && typeof body.detail === "string" ? body.detail : "";
    showError(errorText(status === 200 ? 500 : status, detail, state), status === 422 || status === 400);
  }

  function showState(state) {
    showStateInForm(state);
    if (state.q.trim()) {
      search({ q: state.q, topic: state.topic, k: PAGE_SIZE });
    } else {
      if (pending) pending.abort();
      requestNumber++;
      clearMessages();
      hideResults();
      statusLine.textContent = "";
    }
  }

  // ---------- events ----------

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const state = { q: input.value, topic: topicSelect.value };
    if (!state.q.trim()) {
      hideResults();
      showError("Please type a few words about what is on your mind, then press Search.", true);
      input.focus();
      return;
    }
    const url = urlFor(state);
    if (url === window.location.pathname + window.location.search) {
      window.history.replaceState(state, "", url);
    } else {
      window.history.pushState(state, "", url);
    }
    search({ q: state.q, topic: state.topic, k: PAGE_SIZE });
  });

  moreButton.addEventListener("click", () => {
    if (!shown) return;
    const before = list.children.length;
    search({ q: shown.q, topic: shown.topic, k: Math.min(MAX_K, shown.k + PAGE_SIZE) }, before);
  });

  window.addEventListener("popstate", () => showState(stateFromUrl()));

  loadTopics();
  showState(stateFromUrl());
})();
