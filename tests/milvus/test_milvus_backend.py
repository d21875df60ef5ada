"""The Milvus backend keeps the FAISS results contract, and reindexing updates it in place.

The same small corpus is indexed in both backends (FAISS: `small_index_dir`; Milvus:
`milvus_small_index_dir`), and the stores, the ranking and the API are compared.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from index.backends import open_store, store_state
from index.builder import build_index
from index.corpus import load_corpus
from index.layout import IndexFormatError, current_version_dir, list_versions
from index.loader import load_index
from index.milvus_store import IndexSpec, MilvusStore
from retriever.service import SearchService

WORRIES = ["i cry every time i see my therapist", "i cannot fall asleep at night",
           "my pet passed away and i am so sad", "my heart pounds in crowds", "how do i find a counselor"]
MODEL = "all-MiniLM-L6-v2"


def strong_view(store: MilvusStore) -> MilvusStore:
    """The same collection read with Strong consistency (sees every delete), all ids allowed."""
    return MilvusStore(store.client, store.collection, store.dimension, store.spec, consistency="Strong")


def assert_same_hits(expected, actual, tol=1e-4):
    """Same shape, same scores, and the same ids except where scores tie at the cut-off."""
    e_scores, e_ids = expected
    a_scores, a_ids = actual
    assert e_ids.shape == a_ids.shape
    for row in range(len(e_ids)):
        e_valid, a_valid = e_ids[row] >= 0, a_ids[row] >= 0
        assert e_valid.sum() == a_valid.sum(), "the same number of hits, padded with -1 after them"
        assert not a_valid[a_valid.sum():].any(), "padding comes last"
        np.testing.assert_allclose(a_scores[row][a_valid], e_scores[row][e_valid], atol=tol)
        if e_valid.any():
            cutoff = e_scores[row][e_valid].min()
            assert (set(e_ids[row][e_valid & (e_scores[row] > cutoff + tol)].tolist())
                    == set(a_ids[row][a_valid & (a_scores[row] > cutoff + tol)].tolist()))


@pytest.fixture(scope="module")
def both(small_index_dir, milvus_small_index_dir, milvus_backend):
    return load_index(small_index_dir), load_index(milvus_small_index_dir, vector_backend=milvus_backend)


@pytest.fixture(scope="module")
def worry_vectors(embedder):
    return embedder.encode(WORRIES)


def test_a_milvus_version_records_its_collections_but_no_vectors_and_no_uri(milvus_small_index_dir, milvus_backend):
    version = current_version_dir(milvus_small_index_dir)
    records = sorted(p.name for p in version.glob("*.milvus.json"))
    assert records == ["passages.milvus.json", "question_body.milvus.json", "question_title.milvus.json",
                       "questions.milvus.json"]
    assert not list(version.glob("*.faiss"))
    for record in records:
        text = (version / record).read_text()
        assert milvus_backend.milvus_uri not in text
        assert json.loads(text)["collection"].startswith(milvus_backend.collection_prefix + "_")
    manifest = json.loads((version / "manifest.json").read_text())
    assert manifest["settings"]["vector_store"]["backend"] == "milvus"


def test_both_backends_return_the_same_nearest_vectors(both, worry_vectors):
    faiss_index, milvus_index = both
    for store in ("question_store", "passage_store"):
        for k in (1, 3, 50):
            assert_same_hits(getattr(faiss_index, store).search(worry_vectors, k),
                             getattr(milvus_index, store).search(worry_vectors, k))


@pytest.mark.parametrize("topics", [["anxiety"], ["grief-and-loss", "sleep-improvement"], ["no-such-topic"]])
def test_topic_filters_keep_the_same_vectors_in_both_backends(both, worry_vectors, topics):
    faiss_index, milvus_index = both
    expected = faiss_index.passage_store.search(worry_vectors, 10, topics)
    actual = milvus_index.passage_store.search(worry_vectors, 10, topics)
    assert_same_hits(expected, actual)
    topics_of = {p.passage_id: milvus_index.answer_by_id[p.answer_id].topics for p in milvus_index.passages}
    for vid in actual[1][actual[1] >= 0]:
        assert set(topics_of[int(vid)]) & set(topics)


def test_stored_vectors_are_the_ones_faiss_holds(both):
    faiss_index, milvus_index = both
    ids = [p.passage_id for p in faiss_index.passages]
    np.testing.assert_allclose(milvus_index.passage_store.get_vectors(ids),
                               faiss_index.passage_store.get_vectors(ids), atol=1e-6)


def test_the_ranked_answers_are_the_same_in_both_backends(both, embedder):
    faiss_index, milvus_index = both
    on_faiss, on_milvus = SearchService(embedder, faiss_index), SearchService(embedder, milvus_index)
    for worry in WORRIES:
        for topics in (None, ["counseling-fundamentals", "anxiety"]):
            expected = on_faiss.search(worry, k=5, topics=topics).ranking.results
            actual = on_milvus.search(worry, k=5, topics=topics).ranking.results
            assert [r.answer.answer_id for r in actual] == [r.answer.answer_id for r in expected]
            np.testing.assert_allclose([r.score for r in actual], [r.score for r in expected], atol=1e-4)
            assert [r.highlight for r in actual] == [r.highlight for r in expected]


def test_a_store_upserts_removes_and_pads_like_faiss(milvus_backend):
    from index.backends import milvus_client
    from index.store import FaissStore

    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(6, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.array([11, 12, 13, 14, 15, 2**62 + 5], dtype=np.int64)
    topics = [["a"], ["b"], ["a", "b"], ["c"], ["a"], ["b"]]
    faiss_store = FaissStore(8)
    milvus_store = MilvusStore.create(milvus_client(milvus_backend), f"{milvus_backend.collection_prefix}_unit",
                                      8, milvus_backend.index_spec, consistency=milvus_backend.consistency)
    try:
        for store in (faiss_store, milvus_store):
            store.add(ids, vectors, topics)
            store.add(ids[:1], vectors[5:6], [["c"]])  # replaces id 11: new vector, new topics
            assert store.remove([12, 999]) == 1
        strong = strong_view(milvus_store)
        assert len(strong) == len(faiss_store) == 5
        for k, filter_topics in ((3, None), (10, None), (10, ["c"]), (4, ["a", "b"])):
            assert_same_hits(faiss_store.search(vectors, k, filter_topics), strong.search(vectors, k, filter_topics))
        assert 12 not in strong.search(vectors, 10)[1]
        np.testing.assert_allclose(milvus_store.get_vectors([11, 2**62 + 5]), vectors[[5, 5]], atol=1e-6)
        assert not strong.get_vectors([12]).any(), "a deleted id reads as a zero vector"
        asked = [13, 11, 2**62 + 5, 12, 13]  # any order, repeats, a deleted id (it scores 0, as its zero vector would)
        for query in vectors[[0, 3]]:
            expected = np.append(vectors[[2, 5, 5]] @ query, [0.0, vectors[2] @ query])
            np.testing.assert_allclose(strong.cosines(query, asked), expected, atol=1e-6)
            np.testing.assert_allclose(faiss_store.cosines(query, asked[:3]), expected[:3], atol=1e-6)
    finally:
        milvus_store.drop()


def test_writes_go_in_requests_sized_by_bytes_and_every_row_arrives(milvus_backend, monkeypatch):
    import index.milvus_store as milvus_store
    from index.backends import milvus_client
    from index.milvus_store import StoreRows

    count, dimension = 3000, 384
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(count, dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = StoreRows(np.arange(count, dtype=np.int64) + 1, vectors, [["a"]] * count, ["x"] * count, ["q"] * count,
                     [0] * count)
    monkeypatch.setattr(milvus_store, "WRITE_BATCH_BYTES", 1_000_000)  # ~600 rows a request instead of ~20,000
    store = MilvusStore.create(milvus_client(milvus_backend), f"{milvus_backend.collection_prefix}_bytes", dimension,
                               milvus_backend.index_spec, consistency=milvus_backend.consistency)
    requests = []
    real_insert = store.client.insert
    monkeypatch.setattr(store.client, "insert", lambda collection, data: requests.append(len(data)) or
                        real_insert(collection, data))
    try:
        assert store.write(rows, replace=False) == count
        assert sum(requests) == count and len(requests) == 5
        assert max(rows.row_bytes(0) * size for size in requests) <= 1_000_000
        assert strong_view(store).entity_count(strong=True) == count
        np.testing.assert_allclose(store.get_vectors([1, count]), vectors[[0, count - 1]], atol=1e-6)
    finally:
        store.drop()


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _changed_corpus(small_csv: Path) -> Path:
    """The small corpus with one answer edited, one question gone and one question new."""
    rows = [r for r in _rows(small_csv) if "dog-died" not in r["questionLink"]]
    rows[-1] = rows[-1] | {"answerText": "Breathe slowly: in for four, out for six. Panic passes in minutes."}
    rows.append(rows[0] | {"questionLink": "https://counselchat.com/questions/how-do-i-set-boundaries-with-my-mother",
                           "questionTitle": "How do I set boundaries with my mother?",
                           "questionText": "She calls me ten times a day and I feel guilty saying no.",
                           "topic": "family-conflict", "answerText": "Saying no kindly is a skill you can practise."})
    return _write(small_csv.with_name("changed.csv"), rows)


def test_incremental_reindexing_updates_the_collections_in_place(tmp_path, small_csv, embedder, milvus_backend):
    faiss_dir, milvus_dir = tmp_path / "faiss", tmp_path / "milvus"
    first = load_corpus(small_csv)
    build_index(first, embedder, faiss_dir, model_name=MODEL, passage_tokens=32)
    build_index(first, embedder, milvus_dir, model_name=MODEL, passage_tokens=32, vector_backend=milvus_backend)
    old = load_index(milvus_dir, vector_backend=milvus_backend)

    changed = load_corpus(_changed_corpus(small_csv))
    faiss_report = build_index(changed, embedder, faiss_dir, model_name=MODEL, passage_tokens=32, incremental=True)
    milvus_report = build_index(changed, embedder, milvus_dir, model_name=MODEL, passage_tokens=32, incremental=True,
                                vector_backend=milvus_backend)
    # the same summary as FAISS
    for field in ("answers", "questions", "passages", "added", "updated", "removed", "unchanged", "embedded", "reused"):
        assert getattr(milvus_report, field) == getattr(faiss_report, field), field
    assert (milvus_report.added, milvus_report.updated, milvus_report.removed) == (1, 1, 1)

    new = load_index(milvus_dir, vector_backend=milvus_backend)
    assert new.manifest.version == milvus_report.version != old.manifest.version
    summary = new.manifest.settings["vector_store"]["collections"]
    assert {s["mode"] for s in summary.values()} == {"in-place"}
    assert [summary[n]["collection"] for n in ("passages", "questions")] == \
           [old.passage_store.collection, old.question_store.collection]
    assert summary["passages"]["deleted"] >= 1 and 1 <= summary["passages"]["upserted"] < len(new.passages)
    assert new.passage_store.entity_count(strong=True) == len(new.passages)
    assert new.question_store.entity_count(strong=True) == len(new.questions)

    on_faiss = SearchService(embedder, load_index(faiss_dir))
    on_milvus = SearchService(embedder, new)
    for worry in WORRIES + ["my mother calls all the time and i feel guilty"]:
        expected = [r.answer.answer_id for r in on_faiss.search(worry, k=5).ranking.results]
        assert [r.answer.answer_id for r in on_milvus.search(worry, k=5).ranking.results] == expected
    gone = {p.passage_id for p in old.passages} - {p.passage_id for p in new.passages}
    in_engine = strong_view(new.passage_store).search(embedder.encode(WORRIES), 50)[1].ravel().tolist()
    assert gone and not gone & set(in_engine), "deleted from the collection itself, not just hidden"

    # A replica still serving the old version only sees ids it knows, and keeps working.
    stale = SearchService(embedder, old).search("how do i set boundaries with my mother", k=5)
    assert all(r.answer.answer_id in old.answer_by_id for r in stale.ranking.results)


def test_a_full_rebuild_makes_new_collections_and_pruning_drops_the_old(tmp_path, small_csv, embedder, milvus_backend):
    from index.backends import milvus_client

    client = milvus_client(milvus_backend)
    corpus = load_corpus(small_csv)
    build_index(corpus, embedder, tmp_path, model_name=MODEL, passage_tokens=32, keep_versions=1, vector_backend=milvus_backend)
    first = load_index(tmp_path, vector_backend=milvus_backend)
    build_index(corpus, embedder, tmp_path, model_name=MODEL, passage_tokens=32, keep_versions=1, vector_backend=milvus_backend)
    second = load_index(tmp_path, vector_backend=milvus_backend)
    assert second.passage_store.collection != first.passage_store.collection
    assert not client.has_collection(first.passage_store.collection)
    assert not client.has_collection(first.question_store.collection)
    assert client.has_collection(second.passage_store.collection)
    assert len(list_versions(tmp_path)) == 1


def test_an_in_place_update_repairs_rows_a_crashed_build_left_behind(tmp_path, small_csv, embedder, milvus_backend):
    corpus = load_corpus(small_csv)
    build_index(corpus, embedder, tmp_path, model_name=MODEL, passage_tokens=32, vector_backend=milvus_backend)
    index = load_index(tmp_path, vector_backend=milvus_backend)
    stray = MilvusStore(index.passage_store.client, index.passage_store.collection, index.passage_store.dimension,
                        index.passage_store.spec, consistency=milvus_backend.consistency)
    stray.add(np.array([123456789]), embedder.encode(["left over"]), [["anxiety"]])
    build_index(corpus, embedder, tmp_path, model_name=MODEL, passage_tokens=32, incremental=True, vector_backend=milvus_backend)
    repaired = load_index(tmp_path, vector_backend=milvus_backend)
    assert repaired.passage_store.entity_count(strong=True) == len(repaired.passages)
    assert not strong_view(stray).get_vectors([123456789]).any()


def test_a_missing_collection_is_a_clear_index_error(tmp_path, small_csv, embedder, milvus_backend):
    build_index(load_corpus(small_csv), embedder, tmp_path, model_name=MODEL, passage_tokens=32, vector_backend=milvus_backend)
    index = load_index(tmp_path, vector_backend=milvus_backend)
    index.question_store.drop()
    with pytest.raises(IndexFormatError, match="not in this Milvus"):
        load_index(tmp_path, vector_backend=milvus_backend)
    with pytest.raises(Exception):
        open_store(current_version_dir(tmp_path), "questions", vector_backend=milvus_backend)


def test_readyz_reports_the_collections_and_their_entity_counts(both, embedder):
    from fastapi.testclient import TestClient

    from api.main import create_app

    _, milvus_index = both
    with TestClient(create_app(service=SearchService(embedder, milvus_index))) as client:
        body = client.get("/readyz").json()
        assert body["status"] == "ready"
        stores = body["vector_stores"]
        assert stores["passages"] == {"backend": "milvus", "collection": milvus_index.passage_store.collection,
                                      "entities": len(milvus_index.passages), "serving": len(milvus_index.passages)}
        assert stores["questions"]["entities"] == len(milvus_index.questions)
        found = client.get("/v1/search", params={"q": "panic in crowds", "k": 2}).json()["results"]
        assert found and found[0]["question_id"] == "how-can-i-stop-panic-attacks"


def test_the_index_spec_follows_the_engine():
    assert IndexSpec.named("auto", "./milvus.db").type == "FLAT"
    server = IndexSpec.named("auto", "http://milvus:19530")
    assert server.type == "IVF_FLAT" and server.params == {"nlist": 128}
    assert server.search_params(10)["params"] == {"nprobe": 16}
    assert server.search_params(10, filtered=True)["params"] == {"nprobe": 128}, "a filter visits every list"
    hnsw = IndexSpec.named("HNSW", "http://milvus:19530")
    assert hnsw.params == {"M": 16, "efConstruction": 200} and hnsw.search_params(500)["params"]["ef"] == 500
    assert server.scores_filtered_exactly and not hnsw.scores_filtered_exactly


def test_the_documented_milvus_lite_command_line_builds_and_searches(milvus_lite_engine, small_csv, tmp_path):
    """README "Backends", as a user types it: `VECTOR_BACKEND=milvus MILVUS_URI=./milvus.db python
    scripts/build_index.py ...`. pymilvus reads MILVUS_URI itself at import and refused a file path
    ("Illegal uri"), so the documented line failed before the build began (issue 17)."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "VECTOR_BACKEND": "milvus", "MILVUS_URI": "./milvus.db", "HF_HUB_OFFLINE": "1"}

    def run(script: str, *args: str) -> dict:
        done = subprocess.run([sys.executable, str(root / "scripts" / script), *args, "--json"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)

    summary = run("build_index.py", "--data", str(small_csv), "--index-dir", "idx")
    assert summary["added"] == 6 and (tmp_path / "milvus.db").exists()
    found = run("search.py", "how do i stop a panic attack in a crowd", "--index-dir", "idx", "--k", "1")
    assert found["results"][0]["question_id"] == "how-can-i-stop-panic-attacks"


def test_the_api_reloads_a_new_milvus_version_as_it_does_a_faiss_one(tmp_path, small_csv, embedder, milvus_backend):
    """The reloader opens the new version with the deployment's Milvus settings (it used to open every
    version as FAISS files, so a replica on Milvus refused each new version)."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from settings import Settings

    directory = tmp_path / "index"
    build_index(load_corpus(small_csv), embedder, directory, model_name=MODEL, passage_tokens=32,
                vector_backend=milvus_backend)
    service = SearchService(embedder, load_index(directory, vector_backend=milvus_backend))
    settings = Settings(index_dir=directory, admin_token="reload-token", reload_poll_seconds=0, vector_backend="milvus",
                        milvus_uri=milvus_backend.milvus_uri, milvus_collection_prefix=milvus_backend.collection_prefix,
                        milvus_consistency=milvus_backend.consistency)
    report = build_index(load_corpus(_changed_corpus(small_csv)), embedder, directory, model_name=MODEL,
                         passage_tokens=32, incremental=True, vector_backend=milvus_backend)
    with TestClient(create_app(settings, service=service)) as client:
        reloaded = client.post("/v1/admin/reload?wait=true", headers={"Authorization": "Bearer reload-token"}).json()
        assert reloaded["status"] == "swapped" and reloaded["serving_version"] == report.version, reloaded
        assert client.post("/v1/search", json={"query": "my mother calls all the time", "k": 3}).status_code == 200
