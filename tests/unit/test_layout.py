"""Index directory layout: atomic `current` switch, manifest checks, the build lock."""
import pytest

from index.layout import (BuildLockedError, IndexFormatError, Manifest, build_lock, current_version_dir,
                          prune_versions, switch_current, versions_dir)


def manifest(version="v1", files=None):
    return Manifest(version=version, model="m", dimension=3, normalized=True, corpus_sha256="x", answers=1,
                    questions=1, passages=1, passage_tokens=128, built_at="now", build_seconds=1.0,
                    files=files or {})


def make_version(index_dir, name):
    path = versions_dir(index_dir) / name
    path.mkdir(parents=True)
    manifest(name).write(path)
    return path


def test_current_follows_the_latest_switch(tmp_path):
    one, two = make_version(tmp_path, "v1"), make_version(tmp_path, "v2")
    switch_current(tmp_path, one)
    assert current_version_dir(tmp_path) == one.resolve()
    switch_current(tmp_path, two)
    assert current_version_dir(tmp_path) == two.resolve()


def test_no_index_is_a_clear_error(tmp_path):
    with pytest.raises(IndexFormatError, match="no index at .*build_index.py"):
        current_version_dir(tmp_path)


def test_manifest_of_another_format_or_missing_is_refused(tmp_path):
    with pytest.raises(IndexFormatError, match="incomplete build"):
        Manifest.read(tmp_path)
    (tmp_path / "manifest.json").write_text('{"format_version": 999}')
    with pytest.raises(IndexFormatError, match="format 999"):
        Manifest.read(tmp_path)


def test_damaged_or_missing_files_are_detected(tmp_path):
    (tmp_path / "data.bin").write_bytes(b"hello")
    from index.layout import sha256_of

    m = manifest(files={"data.bin": sha256_of(tmp_path / "data.bin")})
    m.verify_files(tmp_path)
    (tmp_path / "data.bin").write_bytes(b"hellO")
    with pytest.raises(IndexFormatError, match="damaged"):
        m.verify_files(tmp_path)
    (tmp_path / "data.bin").unlink()
    with pytest.raises(IndexFormatError, match="missing"):
        m.verify_files(tmp_path)


def test_prune_keeps_the_newest_and_the_current(tmp_path):
    versions = [make_version(tmp_path, f"v{i}") for i in range(1, 5)]
    switch_current(tmp_path, versions[0])
    prune_versions(tmp_path, keep=2)
    left = sorted(p.name for p in versions_dir(tmp_path).iterdir())
    assert left == ["v1", "v3", "v4"]


def test_a_second_build_is_refused_while_one_holds_the_lock(tmp_path):
    with build_lock(tmp_path):
        with pytest.raises(BuildLockedError, match="another build is running"):
            with build_lock(tmp_path):
                pass
    with build_lock(tmp_path):  # released again
        pass


def test_rollback_points_current_at_the_version_built_before_it(tmp_path):
    from index.layout import rollback

    one, two, three = (make_version(tmp_path, f"2026010{i}T000000Z-aaaaaa") for i in (1, 2, 3))
    switch_current(tmp_path, three)
    left, now = rollback(tmp_path)
    assert (left.name, now.name) == (three.name, two.name)
    assert current_version_dir(tmp_path) == two.resolve()
    rollback(tmp_path)
    assert current_version_dir(tmp_path) == one.resolve()
    with pytest.raises(IndexFormatError, match="nothing to roll back to"):
        rollback(tmp_path)
    assert current_version_dir(tmp_path) == one.resolve()


def test_rollback_refuses_a_damaged_previous_version_and_a_running_build(tmp_path):
    from index.layout import rollback

    older = make_version(tmp_path, "v1")
    (older / "data.bin").write_bytes(b"x")
    manifest("v1", files={"data.bin": "0" * 64}).write(older)
    newer = make_version(tmp_path, "v2")
    switch_current(tmp_path, newer)
    with pytest.raises(IndexFormatError, match="damaged"):
        rollback(tmp_path)
    assert current_version_dir(tmp_path) == newer.resolve()
    with build_lock(tmp_path):
        with pytest.raises(BuildLockedError):
            rollback(tmp_path)


def test_version_names_sort_in_build_order_even_within_one_second():
    import time

    from index.layout import new_version_name

    names = []
    for _ in range(50):  # builds are seconds apart; a tenth of a millisecond is enough to order them
        names.append(new_version_name())
        time.sleep(0.0001)
    assert names == sorted(names) and len(set(names)) == 50
