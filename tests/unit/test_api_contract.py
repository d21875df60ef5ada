"""The API's schema says what the service does (issue 22), checked without the model:

- request models are strict: a boolean or a string is not an integer; 5.0 is (JSON Schema's rule);
- the OpenAPI document carries the deployment's limits, leaves no marker behind, and no HEAD operation;
- HEAD is answered on GET routes, OPTIONS and 405 name every method of the path in `Allow`;
- the documented blank-query pattern means exactly what the service trims.
"""
import re
import sys

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.main import create_app
from api.models import FILLED, NOT_BLANK, BatchQuery, ContextRequest, SearchRequest
from settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """An app with no index (not started, so nothing loads): routing, schema and errors only."""
    settings = Settings(index_dir=tmp_path_factory.mktemp("none"), max_query_chars=300, max_k=20)
    return TestClient(create_app(settings))


@pytest.mark.parametrize("model, field", [(SearchRequest, "k"), (BatchQuery, "k"), (ContextRequest, "k"),
                                          (ContextRequest, "max_tokens")])
@pytest.mark.parametrize("value", [True, False, "5", 5.5, None])
def test_integers_are_strict(model, field, value):
    with pytest.raises(ValidationError):
        model.model_validate({"query": "sleep", field: value})


def test_a_whole_float_is_the_integer_it_equals():
    assert SearchRequest.model_validate({"query": "sleep", "k": 5.0}).k == 5


def test_blank_pattern_is_what_str_strip_removes():
    assert all((re.search(NOT_BLANK, chr(c)) is None) == chr(c).isspace() for c in range(sys.maxunicode + 1))


def test_openapi_states_the_configured_limits(client):
    document = client.get("/openapi.json").json()
    search = document["components"]["schemas"]["SearchRequest"]["properties"]
    assert search["query"]["maxLength"] == 300 and search["query"]["minLength"] == 1
    assert search["query"]["pattern"] == NOT_BLANK and "trimmed" in search["query"]["description"]
    assert search["k"]["maximum"] == 20 and search["k"]["minimum"] == 1
    get = {p["name"]: p["schema"] for p in document["paths"]["/v1/search"]["get"]["parameters"]}
    assert get["q"]["maxLength"] == 300 and get["k"]["maximum"] == 20
    assert FILLED not in str(document)
    assert not [path for path, operations in document["paths"].items() if "head" in operations]


def test_oversize_answers_are_documented(client):
    search = client.get("/openapi.json").json()["paths"]["/v1/search"]
    assert {"413", "414", "415", "422"} <= set(search["post"]["responses"])
    assert {"414", "422"} <= set(search["get"]["responses"])


def test_batch_items_are_a_result_or_an_error(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    items = schemas["BatchSearchResponse"]["properties"]["items"]["items"]
    assert items["discriminator"]["propertyName"] == "status"
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in items["oneOf"]} == {"BatchResult", "BatchError"}
    assert schemas["BatchError"]["properties"]["status"]["const"] == 422


@pytest.mark.parametrize("path", ["/", "/healthz", "/readyz", "/v1/topics", "/docs", "/openapi.json"])
def test_head_is_answered_where_get_is(client, path):
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


def test_allow_names_every_method_of_the_path(client):
    options = client.options("/v1/search")
    assert options.status_code == 204 and options.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    put = client.put("/v1/search", json={"query": "sleep"})
    assert put.status_code == 405 and put.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert "PUT" in put.json()["detail"]
    assert client.delete("/healthz").headers["allow"] == "GET, HEAD, OPTIONS"
    assert client.head("/v1/context").headers["allow"] == "OPTIONS, POST"
    assert client.options("/no/such/path").status_code == 404
