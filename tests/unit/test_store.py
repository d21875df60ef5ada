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
    assert sorted(files) == ["s.faiss", "s.topics.json"]
    assert loaded.topics == store.topics
    np.testing.assert_allclose(loaded.get_vectors([20]), store.get_vectors([20]))
