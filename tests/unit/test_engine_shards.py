"""The parts of a distributed build that need no Ray and no model: shard names and plans, shard
files written whole or not at all, and resuming a killed run with a fake worker pool."""
import hashlib

import numpy as np
import pytest

from index.engines import EngineError, EngineSetupError, InProcessEngine, MissingTexts, RayOptions, open_engine
from index.engines.shards import ShardPlan, embed_by_shards, plan_shards, shard_name, work_key

DIMENSION = 8


def fake_vector(key: str) -> np.ndarray:
    """A unit vector that depends on the key alone, as a real text's vector depends on the text alone."""
    seed = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16)
    vector = np.random.default_rng(seed).normal(size=DIMENSION).astype(np.float32)
    return vector / np.linalg.norm(vector)


def missing_texts(tmp_path, count: int) -> MissingTexts:
    keys = sorted(hashlib.sha1(f"text {i}".encode()).hexdigest() for i in range(count))
    return MissingTexts(keys, [f"the text of {key}" for key in keys], tmp_path / ".shards")


# --- names and plans (pure) ---------------------------------------------------------------------

def test_the_work_key_names_the_model_and_changes_with_anything_a_vector_depends_on():
    key = work_key("sentence-transformers/all-MiniLM-L6-v2", "onnx:model.onnx:abc:docs-int8-v1", 384)
    assert key.startswith("all-MiniLM-L6-v2-") and "/" not in key
    assert key == work_key("sentence-transformers/all-MiniLM-L6-v2", "onnx:model.onnx:abc:docs-int8-v1", 384)
    assert key != work_key("sentence-transformers/all-MiniLM-L6-v2", "onnx:model.onnx:abc", 384)
    assert key != work_key("sentence-transformers/all-MiniLM-L6-v2", "onnx:model.onnx:abc:docs-int8-v1", 768)
    assert "_" in work_key("../odd model name", "torch", 3) and "/" not in work_key("../odd model name", "torch", 3)


def test_a_shard_name_follows_from_its_keys():
    assert shard_name(["a", "b"]) == shard_name(["a", "b"])
    assert shard_name(["a", "b"]) != shard_name(["a", "c"])
    assert shard_name(["a", "b"]).endswith("-2.parquet")


def test_plans_cover_the_keys_not_done_in_key_order_with_their_own_texts():
    keys, texts = ["d", "a", "c", "b", "e"], ["text d", "text a", "text c", "text b", "text e"]
    plans = plan_shards(keys, texts, done={"c"}, texts_per_shard=2)
    assert [plan.keys for plan in plans] == [("a", "b"), ("d", "e")]
    assert [plan.texts for plan in plans] == [("text a", "text b"), ("text d", "text e")]
    assert [plan.name for plan in plans] == [shard_name(("a", "b")), shard_name(("d", "e"))]
    assert plan_shards(keys, texts, done=set(keys), texts_per_shard=2) == []
    with pytest.raises(ValueError):
        plan_shards(keys, texts, done=set(), texts_per_shard=0)


# --- files and resuming (pyarrow) -----------------------------------------------------------------

def write_with_fake_pool(directory, *, fail_after: int | None = None, seen: list | None = None):
    """A stand-in for the actor pool: writes each plan's shard; optionally dies after `fail_after` shards."""
    from index.engines.shards import write_shard

    def write(plans: list[ShardPlan]) -> None:
        for count, plan in enumerate(plans):
            if fail_after is not None and count == fail_after:
                raise RuntimeError("worker killed")
            if seen is not None:
                seen.append(plan.name)
            write_shard(directory / plan.name, plan.keys, np.vstack([fake_vector(k) for k in plan.keys]),
                        document_backend="fake")
    return write


def test_a_killed_run_keeps_its_complete_shards_and_the_rerun_embeds_only_the_rest(tmp_path):
    pytest.importorskip("pyarrow", reason="shards need pyarrow (the ray extra)")
    missing = missing_texts(tmp_path, 23)
    directory = missing.work_dir / "model"
    with pytest.raises(RuntimeError, match="worker killed"):
        embed_by_shards(directory, missing, DIMENSION, write_with_fake_pool(directory, fail_after=2), texts_per_shard=5)
    kept = sorted(path.name for path in directory.glob("*.parquet"))
    assert len(kept) == 2

    seen: list[str] = []
    embedded = embed_by_shards(directory, missing, DIMENSION, write_with_fake_pool(directory, seen=seen),
                               texts_per_shard=5)
    assert not set(seen) & set(kept), "a complete shard is never embedded again"
    assert embedded.summary == {"shards_written": len(seen), "shards_reused": 2, "texts_reused": 10,
                                "texts_per_shard": 5}
    np.testing.assert_array_equal(embedded.vectors, np.vstack([fake_vector(k) for k in missing.keys]))

    again = embed_by_shards(directory, missing, DIMENSION, write_with_fake_pool(directory, fail_after=0),
                            texts_per_shard=5)
    assert again.summary["shards_written"] == 0 and again.summary["texts_reused"] == 23
    np.testing.assert_array_equal(again.vectors, embedded.vectors)


def test_shards_of_any_earlier_run_are_reused_by_content_whatever_the_plan(tmp_path):
    pytest.importorskip("pyarrow", reason="shards need pyarrow (the ray extra)")
    missing = missing_texts(tmp_path, 12)
    directory = missing.work_dir / "model"
    half = MissingTexts(missing.keys[::2], missing.texts[::2], missing.work_dir)
    embed_by_shards(directory, half, DIMENSION, write_with_fake_pool(directory), texts_per_shard=4)
    embedded = embed_by_shards(directory, missing, DIMENSION, write_with_fake_pool(directory), texts_per_shard=5)
    assert embedded.summary["texts_reused"] == 6 and embedded.summary["shards_written"] == 2
    np.testing.assert_array_equal(embedded.vectors, np.vstack([fake_vector(k) for k in missing.keys]))


def test_a_writer_killed_mid_file_leaves_no_shard_and_its_leftovers_are_swept(tmp_path, monkeypatch):
    pq = pytest.importorskip("pyarrow.parquet", reason="shards need pyarrow (the ray extra)")
    from index.engines.shards import survey, write_shard

    directory = tmp_path / "model"
    directory.mkdir()
    real_write_table = pq.write_table

    def dying(table, where, **kwargs):
        where.write(b"PAR1 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(pq, "write_table", dying)
    with pytest.raises(KeyboardInterrupt):
        write_shard(directory / "x-1.parquet", ["k"], fake_vector("k")[None], document_backend="fake")
    assert list(directory.iterdir()) == [], "neither the shard nor its temporary file is left"

    monkeypatch.setattr(pq, "write_table", real_write_table)
    (directory / ".y-1.parquet.0123.tmp").write_bytes(b"left by a SIGKILL")
    (directory / "z-1.parquet").write_bytes(b"damaged on disk")
    write_shard(directory / "w-1.parquet", ["w"], fake_vector("w")[None], document_backend="fake")
    assert survey(directory) == {"w": directory / "w-1.parquet"}
    assert sorted(p.name for p in directory.iterdir()) == ["w-1.parquet"]


def test_a_run_that_leaves_texts_without_vectors_is_an_engine_error(tmp_path):
    pytest.importorskip("pyarrow", reason="shards need pyarrow (the ray extra)")
    missing = missing_texts(tmp_path, 3)
    with pytest.raises(EngineError, match="3 of 3 texts have no vector"):
        embed_by_shards(missing.work_dir / "model", missing, DIMENSION, lambda plans: None, texts_per_shard=2)


def test_a_shard_of_another_dimension_is_refused(tmp_path):
    pytest.importorskip("pyarrow", reason="shards need pyarrow (the ray extra)")
    missing = missing_texts(tmp_path, 2)
    directory = missing.work_dir / "model"
    embed_by_shards(directory, missing, DIMENSION, write_with_fake_pool(directory), texts_per_shard=2)
    with pytest.raises(EngineError, match="dimension 8, the model gives 16"):
        embed_by_shards(directory, missing, 16, write_with_fake_pool(directory), texts_per_shard=2)


# --- choosing an engine ---------------------------------------------------------------------------

def test_the_default_engine_is_in_process_and_an_unknown_one_is_a_setup_error():
    assert isinstance(open_engine("local", open_model=lambda: None), InProcessEngine)
    with pytest.raises(EngineSetupError, match="unknown embedding engine 'spark'; choose one of local, ray"):
        open_engine("spark", open_model=lambda: None)


def test_the_ray_engine_without_ray_installed_says_how_to_install_it(monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real_find_spec(name, *a))
    with pytest.raises(EngineSetupError, match=r"ray not installed.*pip install 'counsel-search\[ray\]'"):
        open_engine("ray", open_model=lambda: None)


def test_ray_options_are_checked():
    with pytest.raises(EngineSetupError, match="at least 1"):
        RayOptions(texts_per_shard=0)
    with pytest.raises(EngineSetupError, match="above 0"):
        RayOptions(cpus_per_actor=0)


def test_a_cluster_address_nothing_answers_at_fails_at_once():
    import socket
    import time

    from index.engines.ray_engine import refuse_unreachable

    with socket.socket() as unused:  # a loopback port that was free a moment ago: nothing listens there
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    started = time.monotonic()
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        with pytest.raises(EngineError, match=f"cannot reach the Ray cluster at {address}: .*refused"):
            refuse_unreachable(address)
    assert time.monotonic() - started < 5
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        refuse_unreachable(f"127.0.0.1:{listening.getsockname()[1]}")
    refuse_unreachable("auto")  # left to Ray: it reads the address of the cluster started on this node
