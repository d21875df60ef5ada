"""/v1/admin/* is off without ADMIN_TOKEN, and needs exactly that bearer token when it is set."""
from fastapi.testclient import TestClient

from api.main import create_app
from settings import Settings


def client(tmp_path, **overrides):
    return TestClient(create_app(Settings(index_dir=tmp_path / "none", reload_poll_seconds=0, **overrides)))


def test_admin_is_disabled_without_a_token(tmp_path):
    response = client(tmp_path).post("/v1/admin/reload", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 404 and "ADMIN_TOKEN" in response.json()["detail"]


def test_a_missing_or_wrong_token_is_401(tmp_path):
    api = client(tmp_path, admin_token="s3cret-token")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-token"}):
        response = api.post("/v1/admin/reload", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in response.json()["detail"]


def test_the_right_token_is_let_in(tmp_path):
    api = client(tmp_path, admin_token="s3cret-token")
    response = api.post("/v1/admin/reload?wait=true", headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 200
    body = response.json()
    assert body["serving_version"] is None and body["poll_seconds"] == 0
