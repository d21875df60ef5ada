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
