"""The API parts the page uses beyond search, against the small index: suggestions, did you mean,
facets, related questions, the question endpoint and page, help lines, compression and caching."""
import re

# `client`: the app over the small index (tests/model/conftest.py)


def test_suggestions_continue_the_words_typed_from_question_titles(client):
    response = client.get("/v1/suggest", params={"q": "how do i sl"})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["crisis"] is False and body["help"] == []
    assert body["suggestions"][0] == {"question_id": "how-do-i-sleep-better", "title": "How do I sleep better?",
                                      "answers": 2}
    assert client.get("/v1/suggest", params={"q": "panic", "limit": 1}).json()["suggestions"][0]["title"] == \
        "How can I stop panic attacks?"
    assert client.get("/v1/suggest", params={"q": ""}).json()["suggestions"] == []


def test_a_crisis_looking_prefix_gets_help_lines_and_no_suggestion(client):
    body = client.get("/v1/suggest", params={"q": "i want to kill mys"}).json()
    assert body["crisis"] is True and body["suggestions"] == []
    assert body["help"][0]["emergency"] is True and body["help"][0]["url"].startswith("tel:")


def test_suggest_refuses_what_is_not_a_prefix(client):
    too_long = client.get("/v1/suggest", params={"q": "a" * 201})
    assert too_long.status_code == 422 and "200" in too_long.json()["detail"]
    assert client.get("/v1/suggest", params={"q": "panic", "limit": 11}).status_code == 422
    assert client.get("/v1/suggest").status_code == 422


def test_spellcheck_offers_the_corrected_query(client):
    body = client.get("/v1/search", params={"q": "panik in crowds", "spellcheck": "true"}).json()
    assert body["did_you_mean"]["query"] == "panic in crowds" and body["did_you_mean"]["original"] == "panik in crowds"
    plain = client.get("/v1/search", params={"q": "panik in crowds"}).json()
    assert plain["did_you_mean"] is None, "only when asked"
    right = client.get("/v1/search", params={"q": "panic in crowds", "spellcheck": "true"}).json()
    assert right["did_you_mean"] is None


def test_facets_count_topics_over_the_matching_set_and_ignore_the_topic_filter(client):
    body = client.get("/v1/search", params={"q": "crying all the time", "k": 1, "facets": "true",
                                            "group_by": "question"}).json()
    facets = {f["topic"]: f for f in body["facets"]}
    assert len(body["questions"]) == 1 and len(facets) >= 2, "over the whole matching set, not the one shown"
    assert facets["counseling-fundamentals"]["questions"] == 1 and facets["counseling-fundamentals"]["answers"] >= 2
    filtered = client.get("/v1/search", params={"q": "crying all the time", "k": 1, "facets": "true",
                                                "topic": "grief-and-loss"}).json()
    assert filtered["facets"] == body["facets"]
    assert client.get("/v1/search", params={"q": "crying all the time"}).json()["facets"] is None


def test_related_questions_come_with_each_grouped_question(client):
    body = client.post("/v1/search", json={"query": "my heart races in crowds", "group_by": "question", "k": 2,
                                           "related": 2}).json()
    for group in body["questions"]:
        assert len(group["related"]) == 2
        assert group["question_id"] not in {r["question_id"] for r in group["related"]}
        assert all(-1 <= r["similarity"] <= 1 and r["answers"] >= 1 for r in group["related"])
    assert client.post("/v1/search", json={"query": "x", "related": 6}).status_code == 422


def test_a_question_with_all_its_answers_and_its_related_questions(client):
    body = client.get("/v1/questions/is-crying-in-therapy-normal").json()
    assert body["question_title"] == "Is crying in therapy normal?"
    assert [a["therapist"] for a in body["answers"]][0] == "Ana Lima", "most upvoted first"
    assert all(a["therapist_url"].startswith("https://counselchat.com/therapists/") for a in body["answers"])
    assert len(body["related"]) == 3 and body["related"][0]["question_id"] != "is-crying-in-therapy-normal"
    missing = client.get("/v1/questions/no-such-question")
    assert missing.status_code == 404 and "no-such-question" in missing.json()["detail"]


def test_the_question_page_is_the_page_and_a_stale_link_is_a_404(client):
    page = client.get("/q/is-crying-in-therapy-normal")
    assert page.status_code == 200 and "<main" in page.text and page.headers["cache-control"] == "no-cache"
    assert client.get("/q/no-such-question").status_code == 404


def test_help_lines_are_the_emergency_number_then_the_crisis_lines(client):
    body = client.get("/v1/help").json()
    assert body["resources"][0]["emergency"] is True and "988" in " ".join(r["contact"] for r in body["resources"])
    assert body["notice"]


def test_responses_are_compressed_for_clients_that_accept_it(client):
    raw = client.get("/static/page.js", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    search = client.get("/v1/search", params={"q": "panic in crowds"}, headers={"Accept-Encoding": "gzip"})
    assert search.headers["content-encoding"] == "gzip" and search.json()["results"]
    assert "content-encoding" not in client.get("/static/page.js", headers={"Accept-Encoding": "identity"}).headers


def test_assets_are_named_by_their_hash_and_cached_for_a_year_by_it(client):
    html = client.get("/").text
    urls = re.findall(r'"(/static/[\w.-]+\?v=[0-9a-f]{12})"', html)
    assert {u.split("?")[0] for u in urls} >= {"/static/page.js", "/static/page.css", "/static/favicon.svg"}
    for url in urls:
        assert client.get(url).headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/static/page.js").headers["cache-control"] == "no-cache"
    assert client.get("/static/page.js?v=000000000000").headers["cache-control"] == "no-cache"
    icon = client.get("/favicon.ico", follow_redirects=False)
    assert icon.status_code == 301 and icon.headers["location"].startswith("/static/favicon.svg?v=")
    assert client.get("/favicon.ico").headers["content-type"].startswith("image/svg+xml")


def test_what_is_typed_is_never_logged_even_when_queries_are(small_service, small_index_dir, access_log):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from settings import Settings

    app = create_app(Settings(index_dir=small_index_dir, log_queries=True, log_queries_raw=True), service=small_service)
    with TestClient(app) as logged:
        logged.get("/v1/suggest", params={"q": "how do i sleep when"})
    lines = access_log()
    assert any(line.get("route") == "/v1/suggest" for line in lines)
    assert not any("how do i sleep when" in str(line) for line in lines), "a keystroke is not a search"
