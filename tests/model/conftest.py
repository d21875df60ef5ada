"""Fixtures of the model tests: the API app over the small index, in process."""
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from settings import Settings


@pytest.fixture(scope="module")
def client(small_service, small_index_dir):
    """A TestClient of the real app serving the session's small index (a module's own `client` wins)."""
    app = create_app(Settings(index_dir=small_index_dir), service=small_service)
    with TestClient(app) as client:
        yield client
