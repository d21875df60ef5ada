"""/docs and /redoc work offline (README: "offline by design"): every script, style and icon they
reference is on this origin and is served; Swagger UI from a CDN left /docs blank offline (issue 17)."""
import re

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from settings import Settings

ASSET = re.compile(r"""(?:src|href)\s*[=:]\s*['"]([^'"]+)['"]""")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return TestClient(create_app(Settings(index_dir=tmp_path_factory.mktemp("none"))))


@pytest.mark.parametrize("page, expected", [("/docs", {"swagger-ui-bundle.js", "swagger-ui.css"}),
                                            ("/redoc", {"redoc.standalone.js"})])
def test_api_docs_reference_only_same_origin_assets_and_they_are_served(client, page, expected):
    html = client.get(page)
    assert html.status_code == 200
    assets = set(ASSET.findall(html.text))
    assert not [url for url in assets if "//" in url], assets  # no other host: no CDN, no fonts
    assert expected <= {url.rsplit("/", 1)[-1] for url in assets}
    for url in assets:
        served = client.get(url)
        assert served.status_code == 200 and len(served.content) > 100, url
    assert "/openapi.json" in html.text and client.get("/openapi.json").status_code == 200
