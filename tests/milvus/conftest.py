"""The Milvus backend's fixtures: an embedded milvus-lite engine by default, or a real server.

COUNSEL_MILVUS_URI=http://127.0.0.1:19530 points the same tests at a running Milvus server
(tests/server/test_milvus_standalone.py does that with the standalone server inside a private
network namespace), so one suite checks both engines.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

SERVER_URI = os.environ.get("COUNSEL_MILVUS_URI", "")
# Session: a test reads its own inserts at once. The 2.3 server's Session reads may miss a delete
# for a moment, so checks that follow a delete read with Strong (`strong_view`), which waits for
# every write (hundreds of ms per call on the server: too slow for whole searches).
TEST_CONSISTENCY = "Session"


@pytest.fixture(scope="session")
def milvus_backend(tmp_path_factory, request):
    """A VectorBackend on a fresh engine: one milvus-lite file per session, or COUNSEL_MILVUS_URI."""
    from index.backends import VectorBackend

    prefix = "t" + uuid.uuid4().hex[:8]  # runs sharing a server never see each other's collections
    if SERVER_URI:
        pytest.importorskip("pymilvus", reason="the milvus extra is not installed")
        return VectorBackend("milvus", SERVER_URI, collection_prefix=prefix, consistency=TEST_CONSISTENCY)
    request.getfixturevalue("milvus_lite_engine")
    return VectorBackend("milvus", str(tmp_path_factory.mktemp("milvus-lite") / "milvus.db"), collection_prefix=prefix,
                         consistency=TEST_CONSISTENCY)


@pytest.fixture(scope="session")
def milvus_small_index_dir(tmp_path_factory, embedder, milvus_backend, small_index_dir) -> Path:
    """The small test corpus indexed into Milvus, with the same settings as `small_index_dir` (FAISS)."""
    from index.builder import build_index
    from index.corpus import load_corpus

    directory = tmp_path_factory.mktemp("small-milvus")
    corpus = load_corpus(small_index_dir.parent / "small.csv")  # the very file the FAISS index was built from
    build_index(corpus, embedder, directory / "index", model_name="all-MiniLM-L6-v2", passage_tokens=32,
                vector_backend=milvus_backend)
    return directory / "index"
