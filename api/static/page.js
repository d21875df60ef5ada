/* counsel-search page: search box -> /v1/search -> results, and /q/<id>: one question. Plain JS, no
 * build step, no framework.
 *
 * Rules this file keeps:
 * - Data from the API is only ever put in the page as text (textContent / text nodes), never as
 *   HTML, and links are made only for http(s) URLs: an answer can contain anything.
 * - The search lives in the URL (/?q=...&topic=...), and so does a question (/q/<question_id>):
 *   opening it shows it, back/forward show that history entry again, every link can be shared.
 * - Fields added to the API later (safety, notice, low_confidence, questions, facets, did_you_mean,
 *   related, signals) are read defensively: absent or malformed means "nothing to show", never a
 *   broken page.
 * - Help is one link away on every view, in the same place (the header's "Help now"), and a
 *   crisis-looking prefix in the search box shows the help lines instead of suggestions.
 * What each feature does and why: docs/page.md.
 */
"use strict";

(function () {
  const PAGE_SIZE = 10;          // questions per request at first, and added by "More results"
  const MAX_K = 50;              // the API's upper bound for k
  const PER_QUESTION = 3;        // answers fetched per question (the best shown, the others folded)
  const RELATED = 3;             // related questions under each question of the results
  const COLLAPSE_OVER = 700;     // answers longer than this (characters) start collapsed
  const EXCERPT = 420;           // about how much of a collapsed answer is shown
  const STARTUP_RETRIES = 15;    // the API answers 503 while it loads the index; retry this often
  const RETRY_MS = 2000;
  const SUGGEST_MIN = 2, SUGGEST_MAX = 200, SUGGESTIONS = 8;  // the API's /v1/suggest bounds
  // Words too common to say a result "matched your words" (the "why this answer" line).
  const COMMON_WORDS = new Set(("a about after again all also always am an and any are as at be because been before " +
    "being but by can can't could did didn't do does doesn't don't even ever feel feeling for from get gets getting " +
    "had has have having he her him his how i i'm if in into is it it's just know like lot make me more most much " +
    "my myself never no not now of off on one only or other our out over really she should so some still such " +
    "than that the their them then there these they thing things think this those through to too very want was " +
    "way we well were what when where which while who why will with would you your").split(" "));

  const $ = (id) => document.getElementById(id);
  const form = $("search-form"), input = $("q"), topicSelect = $("topic");
  const statusLine = $("status"), errorBox = $("error");
  const safetyBox = $("safety"), safetyLead = $("safety-lead"), safetyList = $("safety-resources");
  const imminentBox = $("imminent"), imminentHeading = $("imminent-heading"), imminentMessage = $("imminent-message");
  const imminentCall = $("imminent-call");
  const section = $("results-section"), heading = $("results-heading"), list = $("results");
  const noResults = $("no-results"), lowConfidence = $("low-confidence"), moreButton = $("more"), notice = $("notice");
  const didYouMean = $("did-you-mean"), facetNav = $("facets"), facetList = $("facet-list");
  const suggestBox = $("suggest-box"), suggestList = $("suggestions"), suggestHelp = $("suggest-help");
  const suggestHelpLines = $("suggest-help-lines"), suggestStatus = $("suggest-status");
  const questionView = $("question-view"), helpLines = $("help-lines");

  let shown = null;            // {q, topic, exact, k} of the results on screen
  let pending = null;          // AbortController of the request in flight
  let requestNumber = 0;       // only the latest request may change the page
  let facetMemo = null;        // {q, facets}: a query's topic counts, kept while only its topic changes
  let routed = "";             // path + query of the view on screen (a jump to #help is not a new view)

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

  /* A link to another view of this page: followed in place (history entry, no reload). */
  function pageLink(href, text, className) {
    const link = node("a", className, text);
    link.href = href;
    link.dataset.nav = "";
    return link;
  }

  function questionHref(id) {
    return `/q/${encodeURIComponent(String(id))}`;
  }

  function topicLabel(slug) {
    const words = String(slug || "").replace(/[-_]+/g, " ").trim();
    return words ? words.charAt(0).toUpperCase() + words.slice(1) : "";
  }

  function plural(n, one, many) {
    return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
  }

  function objects(value) {
    return Array.isArray(value) ? value.filter((v) => v && typeof v === "object") : [];
  }

  /* The page is shown (boot.js hid it while a search from the URL was on its way). */
  function reveal() {
    document.documentElement.classList.remove("restoring");
  }

  // ---------- URL state ----------

  function stateFromUrl() {
    const params = new URLSearchParams(window.location.search);
    return { q: params.get("q") || "", topic: params.get("topic") || "", exact: params.get("exact") === "1" };
  }

  function urlFor(state) {
    const params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    if (state.topic) params.set("topic", state.topic);
    if (state.exact) params.set("exact", "1");
    const query = params.toString();
    return query ? `/?${query}` : "/";
  }

  function showStateInForm(state) {
    input.value = state.q;
    ensureTopicOption(state.topic);
    topicSelect.value = state.topic;
  }

  function go(url) {
    if (url === window.location.pathname + window.location.search) {
      window.history.replaceState(null, "", url);
    } else {
      window.history.pushState(null, "", url);
    }
    route(false);
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
    const topics = objects(body && body.topics);
    const chosen = topicSelect.value;
    const sorted = topics.filter((t) => typeof t.topic === "string")
      .sort((a, b) => topicLabel(a.topic).localeCompare(topicLabel(b.topic)));
    topicSelect.replaceChildren(new Option("All topics", ""));
    for (const t of sorted) {
      const count = Number.isFinite(t.answers) ? ` (${t.answers})` : "";
      topicSelect.append(new Option(topicLabel(t.topic) + count, t.topic));
    }
    ensureTopicOption(chosen);
    topicSelect.value = chosen;
  }

  // ---------- help lines (the footer's, on every view) ----------

  async function loadHelp() {
    let body = null;
    try {
      const response = await fetch("/v1/help", { headers: { Accept: "application/json" } });
      if (response.ok) body = await response.json();
    } catch (_) {
      return; // the section's own sentence (call your local emergency number) stays
    }
    helpLines.replaceChildren(...objects(body && body.resources).map(renderResource));
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
    reveal();
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

  // ---------- one answer, one question ----------

  /* "Why this answer": the words of the worry found in the question's title or the highlighted
     passage (compared without common endings), and how close the question is in meaning. */
  function stem(word) {
    const cut = word.replace(/(?:'s|ies|ing|ed|es|s|ly)$/, "");
    return cut.length >= 3 ? cut : word;
  }

  function wordsOf(text) {
    return (String(text || "").toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) || []);
  }

  function matchedWords(query, texts) {
    const there = new Set(texts.flatMap(wordsOf).map(stem));
    const found = [];
    for (const word of wordsOf(query)) {
      if (word.length < 3 || COMMON_WORDS.has(word) || found.includes(word)) continue;
      if (there.has(stem(word))) found.push(word);
    }
    return found.slice(0, 6);
  }

  function closeness(signals) {
    const best = signals && Number.isFinite(signals.q_best) ? signals.q_best : null;
    if (best === null) return "";
    if (best >= 0.7) return "its question is very close to yours";
    if (best >= 0.5) return "its question is close to yours";
    return "";
  }

  const SIGNAL_NAMES = {
    q_title: "meaning: question title", q_body: "meaning: question text", q_combined: "meaning: whole question",
    a_best: "meaning: best passage", a_mean: "meaning: whole answer", bm25_q: "words: question", bm25_a: "words: answer",
  };

  function whyLine(result, query, questionTitle, passage, index) {
    const signals = result.signals && typeof result.signals === "object" ? result.signals : null;
    const words = matchedWords(query, [questionTitle, passage]);
    const parts = [];
    if (words.length) parts.push(`matched your words ${words.map((w) => `“${w}”`).join(", ")}`);
    const close = closeness(signals);
    if (close) parts.push(close);
    const why = node("div", "why");
    if (parts.length) why.append(node("p", "why-line", `Why this answer: ${parts.join("; ")}.`));
    const named = signals ? Object.keys(SIGNAL_NAMES).filter((k) => Number.isFinite(signals[k])) : [];
    if (named.length) {
      const details = node("details", "signals");
      details.append(node("summary", null, "Ranking signals"));
      const table = node("dl");
      for (const key of named) table.append(node("dt", null, SIGNAL_NAMES[key]), node("dd", null, signals[key].toFixed(2)));
      details.append(table);
      why.append(details);
    }
    why.id = `why-${index}`;
    return why.children.length ? why : null;
  }

  /* The answer's text, folded when long (around its highlight), with its "Show more" toggle. */
  function answerBody(article, answer, range, id) {
    const body = node("p", "answer");
    body.id = id;
    article.append(body);
    const full = [0, answer.length];
    if (answer.length <= COLLAPSE_OVER) {
      fillAnswer(body, answer, range, full);
      return;
    }
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
  }

  /* Who answered and how it was received; on a question's page (`withProfile`) the name heads the
     answer already, and the therapist's profile is linked instead. */
  function answerMeta(result, withProfile) {
    const meta = node("p", "result-meta");
    if (result.topic) meta.append(node("span", "topic-tag", topicLabel(result.topic)));
    if (result.therapist && !withProfile) meta.append(node("span", "therapist", `Answered by ${result.therapist}`));
    if (result.credentials) meta.append(node("span", "credentials", result.credentials));
    if (Number.isFinite(result.upvotes)) meta.append(node("span", "upvotes", plural(result.upvotes, "upvote", "upvotes")));
    const profile = withProfile && result.therapist && safeHttpUrl(result.therapist_url);
    if (profile) {
      const line = node("span", "profile");
      line.append(externalLink(profile, `${result.therapist}'s profile`));
      meta.append(line);
    }
    return meta;
  }

  /* One therapist's answer: who, their letters, the text with its passage marked, and why it ranked. */
  function answerBlock(result, id, query, questionTitle, withProfile = false) {
    const block = node("div", "answer-block");
    block.append(answerMeta(result, withProfile));
    const answer = typeof result.answer === "string" ? result.answer : "";
    const found = highlightRange(answer, result.highlight);
    const range = isWholeAnswer(answer, found) ? null : found;
    answerBody(block, answer, range, `${id}-answer`);
    if (query) {
      const passage = found ? answer.slice(found[0], found[1]) : "";
      const why = whyLine(result, query, questionTitle, passage, id);
      if (why) block.append(why);
    }
    return block;
  }

  function relatedList(related, className) {
    const items = objects(related).filter((r) => typeof r.question_id === "string" && r.question_title);
    const ul = node("ul", className);
    for (const r of items) {
      const li = node("li");
      li.append(pageLink(questionHref(r.question_id), r.question_title));
      ul.append(li);
    }
    return items.length ? ul : null;
  }

  /* One question of the results: its title (a link to its page), its best answer, the other answers
     folded behind "N more answers", and its related questions. */
  function renderQuestion(group, index, query) {
    const item = node("li", "result");
    const article = node("article");
    const titleId = `result-${index}-title`;
    article.setAttribute("aria-labelledby", titleId);
    const answers = objects(group.answers);
    const title = node("h3");
    title.id = titleId;
    const titleText = group.question_title || (answers[0] && answers[0].question_title) || "Question";
    const id = group.question_id || (answers[0] && answers[0].question_id);
    title.append(typeof id === "string" && id ? pageLink(questionHref(id), titleText) : document.createTextNode(titleText));
    article.append(title);
    if (answers.length) article.append(answerBlock(answers[0], `result-${index}`, query, titleText));

    const more = Number.isInteger(group.more_answers) && group.more_answers > 0 ? group.more_answers : 0;
    const others = answers.slice(1);
    const folded = others.length + more;
    if (folded > 0) {
      const row = node("p", "more-answers");
      const label = plural(folded, "more answer", "more answers");
      if (others.length) {
        const rest = node("div", "other-answers");
        rest.id = `result-${index}-others`;
        rest.hidden = true;
        const toggle = node("button", "link-button fold-toggle", label);
        toggle.type = "button";
        toggle.setAttribute("aria-expanded", "false");
        toggle.setAttribute("aria-controls", rest.id);
        toggle.addEventListener("click", () => {
          const open = toggle.getAttribute("aria-expanded") !== "true";
          rest.replaceChildren(...(open ? others.map((a, n) => answerBlock(a, `result-${index}-${n + 1}`, query, titleText)) : []));
          if (open && more && typeof id === "string") {
            const all = node("p", "all-answers");
            all.append(pageLink(questionHref(id), `All ${plural(answers.length + more, "answer", "answers")} to this question`));
            rest.append(all);
          }
          rest.hidden = !open;
          toggle.setAttribute("aria-expanded", String(open));
          toggle.textContent = open ? "Fewer answers" : label;
        });
        row.append(toggle);
        article.append(row, rest);
      } else if (typeof id === "string") {
        row.append(pageLink(questionHref(id), label));
        article.append(row);
      }
    }
    const related = relatedList(group.related, "related");
    if (related) {
      const box = node("div", "related-row");
      box.append(node("p", "related-label", "Related questions"), related);
      article.append(box);
    }
    item.append(article);
    return item;
  }

  /* The API's `questions`, or (an older API, a stand-in) the flat results grouped here by question. */
  function groupsOf(body) {
    if (Array.isArray(body && body.questions)) return objects(body.questions);
    const groups = new Map();
    for (const result of objects(body && body.results)) {
      const key = typeof result.question_id === "string" ? result.question_id : `#${groups.size}`;
      if (!groups.has(key)) groups.set(key, { question_id: result.question_id, question_title: result.question_title, answers: [] });
      groups.get(key).answers.push(result);
    }
    return Array.from(groups.values());
  }

  // ---------- did you mean, topic chips ----------

  function renderDidYouMean(spelling, state) {
    const valid = spelling && typeof spelling === "object" && typeof spelling.query === "string" && spelling.query;
    if (!valid) {
      didYouMean.hidden = true;
      didYouMean.replaceChildren();
      return;
    }
    const corrected = pageLink(urlFor({ q: spelling.query, topic: state.topic }), spelling.query);
    if (spelling.used === true) {
      const original = typeof spelling.original === "string" ? spelling.original : state.q;
      didYouMean.replaceChildren("Showing answers for ", corrected, ". Search instead for ",
        pageLink(urlFor({ q: original, topic: state.topic, exact: true }), original), ".");
    } else {
      didYouMean.replaceChildren("Did you mean ", corrected, "?");
    }
    didYouMean.hidden = false;
  }

  function chip(text, count, href, current) {
    const li = node("li");
    const link = pageLink(href, text, "chip");
    if (count !== null) {
      link.append(node("span", "visually-hidden", ", "), node("span", "chip-count", count.toLocaleString("en")),
        node("span", "visually-hidden", count === 1 ? " question" : " questions"));
    }
    if (current) link.setAttribute("aria-current", "true");
    li.append(link);
    return li;
  }

  function renderFacets(facets, state) {
    const items = objects(facets).filter((f) => typeof f.topic === "string" && Number.isInteger(f.questions));
    if (!items.length) {
      facetNav.hidden = true;
      facetList.replaceChildren();
      return;
    }
    const chips = [chip("All topics", null, urlFor({ q: state.q, exact: state.exact }), !state.topic)];
    if (state.topic && !items.some((f) => f.topic === state.topic)) items.unshift({ topic: state.topic, questions: 0 });
    for (const f of items) {
      chips.push(chip(topicLabel(f.topic), f.questions, urlFor({ q: state.q, topic: f.topic, exact: state.exact }),
        f.topic === state.topic));
    }
    facetList.replaceChildren(...chips);
    facetNav.hidden = false;
  }

  // ---------- results ----------

  function render(body, state, previousCount) {
    const groups = groupsOf(body);
    const crisis = renderSafety(body && body.safety);
    lowConfidence.hidden = !(body && body.low_confidence === true && groups.length > 0);
    list.replaceChildren(...groups.map((g, i) => renderQuestion(g, i, state.q)));
    if (Array.isArray(body && body.facets)) facetMemo = { q: state.q, exact: state.exact, facets: body.facets };
    const facets = facetMemo && facetMemo.q === state.q && facetMemo.exact === state.exact ? facetMemo.facets : null;
    // high and imminent rank within the situation's questions: no topic facets there; a concern keeps them
    const level = body && body.safety ? body.safety.level : null;
    renderFacets(level === "high" || level === "imminent" ? null : facets, state);
    renderDidYouMean(body && body.did_you_mean, state);
    if (groups.length === 0 && crisis) {
      // under the help lines nothing fitted: the help stands alone, no "try other words"
      noResults.textContent = "The people listed above are the best help for this right now.";
      noResults.hidden = false;
    } else if (groups.length === 0) {
      const where = state.topic ? ` in the topic “${topicLabel(state.topic)}”` : "";
      noResults.textContent = `No answers found for this search${where}. ` +
        (state.topic ? "Try “All topics”, or describe it in other words." : "Try describing it in other words.");
      noResults.hidden = false;
    } else {
      noResults.hidden = true;
    }
    moreButton.hidden = !(groups.length >= state.k && state.k < MAX_K);
    renderText(notice, body && body.notice);
    section.hidden = false;
    shown = state;

    const count = groups.length ? `Showing ${plural(groups.length, "question", "questions")} with their answers.`
      : "No answers found.";
    statusLine.textContent = crisis ? `Support contacts are shown above the answers. ${count}` : count;
    document.title = "Answers: counsel-search";
    reveal();

    if (crisis && previousCount === undefined) bringIntoView(imminentBox.hidden ? safetyBox : imminentBox);
    if (previousCount !== undefined) {
      // "More results" was pressed: continue from the first new question (or the list, if none came).
      const target = groups.length > previousCount ? list.children[previousCount].querySelector("h3 a, h3") : heading;
      if (!target.matches("a")) target.tabIndex = -1;
      target.focus();
    }
  }

  /* GET `url` as JSON for the view on screen: {status (0 when unreachable), body, mine}, or null when a
     later request has replaced this one (only the latest request may change the page). */
  async function fetchView(url) {
    if (pending) pending.abort();
    const controller = new AbortController();
    pending = controller;
    const mine = ++requestNumber;
    let status = 0, body = null;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, signal: controller.signal });
      status = response.status;
      try { body = await response.json(); } catch (_) { body = null; }
    } catch (error) {
      if (error && error.name === "AbortError") return null;
    }
    if (mine !== requestNumber) return null;
    pending = null;
    return { status, body, mine };
  }

  /* The API answers 503 while it loads the index: say so, and `again` in a moment, unless another view was
     asked for meanwhile. True when a retry is planned. */
  function retryWhileStarting(status, attempt, mine, again) {
    if (status !== 503 || attempt >= STARTUP_RETRIES) return false;
    statusLine.textContent = "The search is starting up; trying again in a moment…";
    reveal();
    window.setTimeout(() => { if (mine === requestNumber) again(); }, RETRY_MS);
    return true;
  }

  async function search(state, previousCount, attempt = 0) {
    clearMessages();
    statusLine.textContent = "Searching…";
    section.setAttribute("aria-busy", "true");

    const params = new URLSearchParams({ q: state.q, k: String(state.k), group_by: "question",
      per_question: String(PER_QUESTION), related: String(RELATED), explain: "true" });
    if (state.topic) params.set("topic", state.topic);
    if (!state.exact) params.set("spellcheck", "true");
    if (!(facetMemo && facetMemo.q === state.q && facetMemo.exact === state.exact)) params.set("facets", "true");
    const answer = await fetchView(`/v1/search?${params}`);
    if (answer === null) return;
    const { status, body, mine } = answer;
    section.removeAttribute("aria-busy");

    if (status === 200 && body) {
      render(body, state, previousCount);
      return;
    }
    if (retryWhileStarting(status, attempt, mine, () => search(state, previousCount, attempt + 1))) return;
    if (previousCount === undefined) hideResults();  // a failed "More results" keeps what is shown
    const detail = body && typeof body.detail === "string" ? body.detail : "";
    showError(errorText(status === 200 ? 500 : status, detail, state), status === 422 || status === 400);
  }

  function showState(state) {
    showStateInForm(state);
    if (state.q.trim()) {
      search({ q: state.q, topic: state.topic, exact: state.exact, k: PAGE_SIZE });
    } else {
      if (pending) pending.abort();
      requestNumber++;
      clearMessages();
      hideResults();
      statusLine.textContent = "";
      document.title = "counsel-search: answers from licensed therapists";
      reveal();
    }
  }

  // ---------- one question: /q/<question_id> ----------

  function setDescription(text) {
    const meta = document.querySelector('meta[name="description"]');
    if (meta && text) meta.setAttribute("content", text.length > 160 ? `${text.slice(0, 157).trimEnd()}…` : text);
  }

  function renderQuestionPage(body) {
    const title = typeof body.question_title === "string" && body.question_title ? body.question_title : "Question";
    $("question-title").textContent = title;
    const meta = $("question-meta");
    meta.replaceChildren(...(Array.isArray(body.topics) ? body.topics : []).filter((t) => typeof t === "string")
      .map((t) => node("span", "topic-tag", topicLabel(t))));
    renderText($("question-text"), body.question_text);
    const source = $("question-source"), url = safeHttpUrl(body.question_url);
    source.replaceChildren(...(url ? [externalLink(url, "Read this question on CounselChat")] : []));
    source.hidden = !url;
    const answers = objects(body.answers);
    $("question-answers-heading").textContent = plural(answers.length, "answer", "answers");
    $("question-answers").replaceChildren(...answers.map((a, i) => {
      const item = node("li", "result");
      const article = node("article");
      const name = node("h4", "answer-heading", a.therapist ? `${a.therapist}` : `Answer ${i + 1}`);
      name.id = `answer-${i}-title`;
      article.setAttribute("aria-labelledby", name.id);
      article.append(name, answerBlock(a, `answer-${i}`, "", title, true));
      item.append(article);
      return item;
    }));
    const related = relatedList(body.related, "related");
    $("question-related-list").replaceChildren(...(related ? Array.from(related.children) : []));
    $("question-related").hidden = !related;
    document.title = `${title}: counsel-search`;
    setDescription(typeof body.question_text === "string" && body.question_text.trim() ? body.question_text.trim() : title);
  }

  async function showQuestion(id, moveFocus, attempt = 0) {
    showStateInForm({ q: "", topic: "" });
    clearMessages();
    hideResults();
    imminentBox.hidden = true;
    questionView.hidden = true;
    statusLine.textContent = "Loading the question…";
    const answer = await fetchView(`/v1/questions/${encodeURIComponent(id)}`);
    if (answer === null) return;
    const { status, body, mine } = answer;
    if (status === 200 && body && typeof body === "object") {
      renderQuestionPage(body);
      questionView.hidden = false;
      statusLine.textContent = "";
      reveal();
      if (moveFocus) $("question-title").focus();
      return;
    }
    if (retryWhileStarting(status, attempt, mine, () => showQuestion(id, moveFocus, attempt + 1))) return;
    document.title = "Question not found: counsel-search";
    showError(status === 404
      ? "We could not find this question: the link may be out of date. You can search for it in your own words above."
      : errorText(status === 200 ? 500 : status, "", { q: "" }));
  }

  function route(initial) {
    routed = window.location.pathname + window.location.search;
    closeSuggestions();
    const match = window.location.pathname.match(/^\/q\/([^/]+)\/?$/);
    if (match) {
      let id = match[1];
      try { id = decodeURIComponent(id); } catch (_) { /* shown as not found */ }
      showQuestion(id, !initial);
      if (!initial) window.scrollTo(0, 0);
      return;
    }
    questionView.hidden = true;
    showState(stateFromUrl());
  }

  // ---------- suggestions as you type (a combobox: WAI-ARIA APG's list autocomplete) ----------

  let suggestPending = null, suggestNumber = 0, active = -1;

  function options() {
    return Array.from(suggestList.children);
  }

  function closeSuggestions() {
    if (suggestPending) suggestPending.abort();
    suggestPending = null;
    suggestNumber++;
    suggestBox.hidden = true;
    suggestList.replaceChildren();
    suggestHelp.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function setActive(index) {
    const all = options();
    active = all.length ? (index + all.length) % all.length : -1;
    all.forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function choose(index) {
    const option = options()[index];
    if (!option) return;
    input.value = option.textContent;
    closeSuggestions();
    form.requestSubmit();
  }

  function showSuggestions(body) {
    const crisis = body && body.crisis === true;
    const items = crisis ? [] : objects(body && body.suggestions).filter((s) => typeof s.title === "string" && s.title);
    suggestList.replaceChildren(...items.map((s, i) => {
      const option = node("li", "suggestion", s.title);
      option.id = `suggestion-${i}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.addEventListener("mousedown", (event) => event.preventDefault());  // keep focus in the box
      option.addEventListener("click", () => choose(i));
      return option;
    }));
    suggestList.hidden = !items.length;
    suggestHelpLines.replaceChildren(...(crisis ? objects(body.help).map(renderResource) : []));
    suggestHelp.hidden = !crisis;
    suggestBox.hidden = !(crisis || items.length);
    input.setAttribute("aria-expanded", String(items.length > 0));
    active = -1;
    input.removeAttribute("aria-activedescendant");
    suggestStatus.textContent = crisis ? "Help lines are shown under the search box."
      : items.length ? `${plural(items.length, "suggestion", "suggestions")}: use the arrow keys to choose.` : "";
  }

  async function suggest() {
    const text = input.value;
    if (text.trim().length < SUGGEST_MIN || text.length > SUGGEST_MAX || document.activeElement !== input) {
      closeSuggestions();
      return;
    }
    if (suggestPending) suggestPending.abort();
    const controller = new AbortController();
    suggestPending = controller;
    const mine = ++suggestNumber;
    let body = null;
    try {
      const params = new URLSearchParams({ q: text, limit: String(SUGGESTIONS) });
      const response = await fetch(`/v1/suggest?${params}`, { headers: { Accept: "application/json" }, signal: controller.signal });
      if (response.ok) body = await response.json();
    } catch (_) {
      return;  // aborted by the next keystroke, or offline: no suggestions
    }
    if (mine !== suggestNumber || input.value !== text) return;
    suggestPending = null;
    if (body) showSuggestions(body); else closeSuggestions();
  }

  input.addEventListener("input", suggest);
  input.addEventListener("keydown", (event) => {
    const open = !suggestBox.hidden;
    if (event.key === "ArrowDown" && options().length) {
      event.preventDefault();
      setActive(active + 1);
    } else if (event.key === "ArrowUp" && options().length) {
      event.preventDefault();
      setActive(active - 1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();  // the first Escape closes the list; the next one clears the box as usual
      closeSuggestions();
    }
  });
  // Focus leaving the box and its list closes it; moving into the help lines keeps them open.
  input.parentElement.addEventListener("focusout", (event) => {
    if (!input.parentElement.contains(event.relatedTarget)) closeSuggestions();
  });

  // ---------- events ----------

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    closeSuggestions();
    const state = { q: input.value, topic: topicSelect.value };
    if (!state.q.trim()) {
      hideResults();
      showError("Please type a few words about what is on your mind, then press Search.", true);
      input.focus();
      return;
    }
    go(urlFor(state));
  });

  moreButton.addEventListener("click", () => {
    if (!shown) return;
    const before = list.children.length;
    search({ ...shown, k: Math.min(MAX_K, shown.k + PAGE_SIZE) }, before);
  });

  // Links to other views of the page (questions, topic chips, did you mean) are followed in place.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-nav]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey ||
        event.altKey) return;
    event.preventDefault();
    go(link.getAttribute("href"));
  });

  window.addEventListener("popstate", () => {
    if (window.location.pathname + window.location.search !== routed) route(false);  // not for #help
  });

  loadTopics();
  loadHelp();
  route(true);
})();
