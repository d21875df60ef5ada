"""The FAISS vector store: add, replace, remove, filtered search, save and load."""
import numpy as np

from index.store import FaissStore


def unit(*values):
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def make_store():
    store = FaissStore(3)
    store.add(np.array([10, 20, 30]), np.vstack([unit(1, 0, 0), unit(0, 1, 0), unit(1, 1, 0)]),
              [["a"], ["b"], ["a", "b"]])
    return store


def test_search_returns_nearest_first():
    scores, ids = make_store().search(unit(1, 0.1, 0), 3)
    assert ids[0].tolist() == [10, 30, 20]
    assert scores[0][0] > scores[0][1] > scores[0][2]


def test_topic_filter_only_returns_matching_ids():
    _, ids = make_store().search(unit(0, 1, 0), 3, topics=["a"])
    assert [i for i in ids[0].tolist() if i >= 0] == [30, 10]


def test_adding_an_existing_id_replaces_it_and_remove_deletes():
    store = make_store()
    store.add(np.array([10]), unit(0, 0, 1)[None], [["c"]])
    assert len(store) == 3
    _, ids = store.search(unit(0, 0, 1), 1)
    assert ids[0][0] == 10
    assert store.remove([10, 99]) == 1 and len(store) == 2
    assert 10 not in store.search(unit(1, 0, 0), 3)[1][0].tolist()


def test_save_and_load_round_trip(tmp_path):
    store = make_store()
    files = store.save(tmp_path, "s")
    loaded = FaissStore.load(tmp_path, "s")
    assert sorted(files) == ["s.faiss", "s.topic_ids.npy", "s.topics.json"]
    assert loaded.topics == store.topics
    np.testing.assert_allclose(loaded.get_vectors([20]), store.get_vectors([20]))


def test_several_topics_are_ored_and_ids_restrict_inside_the_engine():
    store = make_store()
    _, ids = store.search(unit(1, 0, 0), 3, topics=["a", "b"])
    assert sorted(i for i in ids[0].tolist() if i >= 0) == [10, 20, 30]
    _, ids = store.search(unit(1, 0, 0), 3, ids=np.array([20, 30]))
    assert [i for i in ids[0].tolist() if i >= 0] == [30, 20]
    _, ids = store.search(unit(1, 0, 0), 3, topics=["b"], ids=np.array([10, 30]))
    assert [i for i in ids[0].tolist() if i >= 0] == [30]
    _, ids = store.search(unit(1, 0, 0), 3, topics=["unknown"])
    assert ids[0].tolist() == [-1, -1, -1]


def test_a_store_loaded_from_a_version_is_mapped_read_only_and_reads_the_same_vectors(tmp_path):
    import pytest

    from index.store import ReadOnlyStoreError

    store = make_store()
    store.save(tmp_path, "s")
    mapped = FaissStore.load(tmp_path, "s")
    assert mapped.read_only and not FaissStore.load(tmp_path, "s", mapped=False).read_only
    np.testing.assert_array_equal(mapped.get_vectors([30, 10, 30]), store.get_vectors([30, 10, 30]))
    query = unit(1, 0.1, 0)
    assert mapped.cosines(query, [30, 10, 30]).tolist() == (store.get_vectors([30, 10, 30]) @ query).tolist()
    assert mapped.search(unit(0, 1, 0), 3, topics=["a"])[1].tolist() == store.search(unit(0, 1, 0), 3, topics=["a"])[1].tolist()
    with pytest.raises(ReadOnlyStoreError, match="read-only"):
        mapped.add(np.array([40]), unit(0, 0, 1)[None], [["a"]])
    with pytest.raises(ReadOnlyStoreError):
        mapped.remove([10])


def test_a_store_written_before_topic_ids_existed_still_loads(tmp_path):
    import json

    import faiss

    store = make_store()
    faiss.write_index(store.index, str(tmp_path / "old.faiss"))
    (tmp_path / "old.topics.json").write_text(json.dumps({"10": ["a"], "20": ["b"], "30": ["a", "b"]}))
    old = FaissStore.load(tmp_path, "old")
    assert old.topics == store.topics
    assert old.search(unit(0, 1, 0), 3, topics=["a"])[1].tolist() == store.search(unit(0, 1, 0), 3, topics=["a"])[1].tolist()


def test_a_narrow_filter_on_an_ivf_store_probes_more_lists_and_still_finds_its_nearest():
    from tests.unit.test_index_kind import clustered_unit_vectors

    vectors = clustered_unit_vectors(8_000)
    ids = np.arange(len(vectors), dtype=np.int64)
    rare = ids % 97 == 0
    topics = [["rare"] if r else ["common"] for r in rare]
    ivf, flat = FaissStore(384, flat_max=1_000), FaissStore(384)
    ivf.add(ids, vectors, topics)
    flat.add(ids, vectors, topics)
    assert ivf.kind == "ivf-sq8"
    queries = vectors[:50]
    _, found = ivf.search(queries, 10, topics=["rare"])
    _, truth = flat.search(queries, 10, topics=["rare"])
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)])
    assert recall >= 0.95 and rare[found[found >= 0]].all()
