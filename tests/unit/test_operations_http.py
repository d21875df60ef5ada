"""Production behaviour of the HTTP layer that needs no model: request ids, limits, CORS, headers, metrics.

The app is built without a loaded index (no lifespan runs), so /v1 routes answer 503 "not ready":
enough to see what the middlewares around them do.
"""
import json

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from settings import Settings


def make_client(tmp_path, **overrides) -> TestClient:
    return TestClient(create_app(Settings(index_dir=tmp_path / "none", **overrides)))


@pytest.fixture
def client(tmp_path):
    return make_client(tmp_path)


def test_a_generated_request_id_comes_back_on_every_response(client):
    first, second = client.get("/healthz"), client.get("/v1/topics")
    assert len(first.headers["x-request-id"]) >= 16
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_a_sane_request_id_is_echoed(client):
    assert client.get("/healthz", headers={"X-Request-ID": "lb-7f3a:42"}).headers["x-request-id"] == "lb-7f3a:42"


@pytest.mark.parametrize("given", ["x" * 65, "has space", "new\tline", "<script>", "é".encode("utf-8")])
def test_an_unsafe_request_id_is_replaced(client, given):
    returned = client.get("/healthz", headers={"X-Request-ID": given}).headers["x-request-id"]
    assert returned != given and len(returned) == 32


def test_metrics_count_requests_by_route_template_and_status(client):
    client.get("/v1/answers/some-private-looking-id")
    client.get("/v1/search", params={"q": "a private worry"})
    client.get("/no/such/page")
    text = client.get("/metrics").text
    assert 'counsel_http_requests_total{method="GET",route="/v1/answers/{answer_id}",status="503"} 1.0' in text
    assert 'counsel_http_requests_total{method="GET",route="/v1/search",status="503"} 1.0' in text
    assert 'counsel_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert 'counsel_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/v1/search",status="503"}' in text
    for private in ("some-private-looking-id", "private worry", "private+worry", "/no/such"):
        assert private not in text


def test_unmatched_is_only_for_paths_no_route_serves(client):
    """/docs, /openapi.json and the mounted files are Starlette routes, which FastAPI does not record
    in the scope: they counted as route="unmatched", which README keeps for 404s (issue 17)."""
    for path in ("/docs", "/openapi.json", "/docs/assets/swagger-ui.css", "/static/page.js"):
        assert client.get(path).status_code == 200
    text = client.get("/metrics").text
    for template in ("/docs", "/openapi.json", "/docs/assets/{path}", "/static/{path}"):
        assert f'counsel_http_requests_total{{method="GET",route="{template}",status="200"}} 1.0' in text
    assert 'route="unmatched",status="200"' not in text
    assert "counsel_index_loaded 0.0" in text
    for name in ("counsel_index_reloads_total", "counsel_index_reload_failures_total",
                 "counsel_crisis_flags_total", "counsel_search_timeouts_total", "counsel_http_requests_in_flight"):
        assert name in text


def test_reload_counters_are_reported_through_the_state(client):
    state = client.app.state.counsel
    state.metrics.record_reload(succeeded=True)
    state.metrics.record_reload(succeeded=True)
    state.metrics.record_reload(succeeded=False)
    state.metrics.record_crisis_flag()
    text = client.get("/metrics").text
    assert "counsel_index_reloads_total 2.0" in text
    assert "counsel_index_reload_failures_total 1.0" in text
    assert "counsel_crisis_flags_total 1.0" in text


def test_metrics_can_be_turned_off(tmp_path):
    assert make_client(tmp_path, metrics_enabled=False).get("/metrics").status_code == 404


def test_a_body_over_the_limit_gets_413_with_a_message(tmp_path):
    client = make_client(tmp_path, max_body_bytes=2048)
    response = client.post("/v1/search", content=json.dumps({"query": "x" * 5000}),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "2048 bytes" in response.json()["detail"]


def test_a_chunked_body_over_the_limit_gets_413(tmp_path):
    client = make_client(tmp_path, max_body_bytes=2048)

    def chunks():
        for _ in range(10):
            yield b'{"query": "' + b"x" * 500

    response = client.post("/v1/search", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "limit" in response.json()["detail"]


def test_the_rate_limit_is_off_by_default(client):
    assert all(client.get("/v1/topics").status_code == 503 for _ in range(40))


def test_the_rate_limit_answers_429_with_retry_after(tmp_path):
    client = make_client(tmp_path, rate_limit_per_minute=6, rate_limit_burst=3)
    statuses = [client.get("/v1/topics").status_code for _ in range(3)]
    assert statuses == [503, 503, 503]  # within the burst (503: no index loaded in this test)
    limited = client.get("/v1/search", params={"q": "anything"})
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 10
    assert "try again" in limited.json()["detail"]
    assert client.get("/healthz").status_code == 200  # probes and metrics are never limited
    assert "counsel_rate_limited_total 1.0" in client.get("/metrics").text


def test_cors_is_closed_by_default(client):
    response = client.options("/v1/search", headers={"Origin": "https://elsewhere.example",
                                                     "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in client.get("/healthz", headers={"Origin": "https://elsewhere.example"}).headers


def test_cors_allows_only_the_listed_origins(tmp_path):
    client = make_client(tmp_path, cors_origins=["https://app.example"])
    allowed = client.options("/v1/search", headers={"Origin": "https://app.example",
                                                    "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Headers": "content-type"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    refused = client.options("/v1/search", headers={"Origin": "https://evil.example",
                                                    "Access-Control-Request-Method": "POST"})
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    simple = client.get("/v1/topics", headers={"Origin": "https://app.example"})
    assert simple.headers["access-control-allow-origin"] == "https://app.example"


def test_cors_origins_are_read_from_a_comma_separated_variable(monkeypatch):
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]


def test_the_page_has_strict_security_headers(client):
    response = client.get("/")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "*" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


def test_search_responses_are_not_cached(client):
    assert client.get("/v1/search", params={"q": "x"}).headers["cache-control"] == "no-store"


def test_readyz_turns_503_while_draining(client):
    client.app.state.counsel.start_draining()
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["status"] == "draining"
    assert client.get("/healthz").status_code == 200


def test_access_log_lines_are_json_with_id_route_status_latency_and_no_query(client, access_log):
    client.get("/v1/search", params={"q": "my secret worry"}, headers={"X-Request-ID": "req-1"})
    client.get("/", params={"q": "my secret worry"})
    lines = access_log()
    assert len(lines) == 2
    assert lines[0]["request_id"] == "req-1" and lines[0]["route"] == "/v1/search"
    assert lines[0]["status"] == 503 and lines[0]["latency_ms"] >= 0 and lines[0]["method"] == "GET"
    assert lines[1]["route"] == "/"
    assert "secret" not in json.dumps(lines)
