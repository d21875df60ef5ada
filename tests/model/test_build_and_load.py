"""Building and loading an index with the real model on the small corpus."""
import json

import pytest

from index.builder import build_index
from index.corpus import load_corpus
from index.layout import IndexFormatError, current_version_dir, list_versions
from index.loader import load_index


def test_build_writes_a_versioned_index_with_a_manifest(small_index_dir):
    directory = current_version_dir(small_index_dir)
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["model"] == "all-MiniLM-L6-v2" and manifest["dimension"] == 384
    assert manifest["normalized"] is True and manifest["format_version"] == 1
    assert manifest["answers"] == 6 and manifest["questions"] == 4
    assert len(manifest["corpus_sha256"]) == 64 and manifest["files"]


def test_loaded_index_holds_metadata_and_vectors(small_index_dir):
    index = load_index(small_index_dir)
    assert len(index.answers) == 6 and len(index.questions) == 4
    assert len(index.passage_store) == len(index.passages) >= 6
    assert index.topics["counseling-fundamentals"] == 2


def test_loading_with_another_model_is_refused(small_index_dir):
    with pytest.raises(IndexFormatError, match="built with model 'all-MiniLM-L6-v2'.*'other-model'"):
        load_index(small_index_dir, expected_model="other-model")


def test_a_damaged_index_is_refused(tmp_path, small_csv, embedder):
    build_index(load_corpus(small_csv), embedder, tmp_path, model_name="all-MiniLM-L6-v2")
    directory = current_version_dir(tmp_path)
    with open(directory / "passages.faiss", "r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00\x01\x02")
    with pytest.raises(IndexFormatError, match="damaged"):
        load_index(tmp_path)


def test_an_interrupted_build_leaves_the_previous_index_loadable(tmp_path, small_csv, embedder, monkeypatch):
    first = build_index(load_corpus(small_csv), embedder, tmp_path, model_name="all-MiniLM-L6-v2")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C in the middle of embedding

    monkeypatch.setattr(embedder, "encode_documents", crash)
    with pytest.raises(KeyboardInterrupt):
        build_index(load_corpus(small_csv), embedder, tmp_path, model_name="all-MiniLM-L6-v2", passage_tokens=64)
    index = load_index(tmp_path)
    assert index.manifest.version == first.version
    assert [v.name for v in list_versions(tmp_path)] == [first.version]


def test_a_crash_while_writing_files_leaves_no_partial_version(tmp_path, small_csv, embedder, monkeypatch):
    first = build_index(load_corpus(small_csv), embedder, tmp_path, model_name="all-MiniLM-L6-v2")
    import index.builder as builder

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(builder, "sha256_of", fail)
    with pytest.raises(OSError):
        build_index(load_corpus(small_csv), embedder, tmp_path, model_name="all-MiniLM-L6-v2")
    assert load_index(tmp_path).manifest.version == first.version
    assert not [p for p in (tmp_path / "versions").iterdir() if p.name.startswith(".tmp")]


def test_a_fresh_build_reuses_no_vector_though_texts_repeat(tmp_path, corpus_csv_writer, embedder):
    """"15 vectors reused" on a first build (issue 17) counted texts repeated within the build (one
    therapist's same answer to two questions); only vectors taken from the previous version count."""
    same = "Breathe slowly, in for four counts and out for six, and let the wave of panic pass."
    csv_path = corpus_csv_writer(tmp_path / "repeats.csv", [
        (1, "panic-in-crowds", "Panic in crowds", "My heart races in crowds.", "anxiety", "Cara Diaz", same, 1),
        (2, "panic-at-night", "Panic at night", "I wake up with my heart racing.", "anxiety", "Cara Diaz", same, 1)])
    first = build_index(load_corpus(csv_path), embedder, tmp_path / "index", model_name="all-MiniLM-L6-v2")
    assert first.reused == 0 and first.embedded == 1
    again = build_index(load_corpus(csv_path), embedder, tmp_path / "index", model_name="all-MiniLM-L6-v2",
                        incremental=True)
    assert again.embedded == 0 and again.reused > 0
