"""Shared fixtures, grouped by cost.

- tests/unit: no model, no data; seconds.            pytest tests/unit
- tests/model: the real embedding model on a small corpus written here; tens of seconds.
- tests/ray: distributed builds with Ray in local mode (skipped without the ray extra); a minute.
- tests/corpus: the real CounselChat CSV from ../shared (skipped where absent); builds the full
  index once per session (a couple of minutes), or reuses COUNSEL_TEST_INDEX if set.
Further folders (browser, server) add their own markers.
"""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("COUNSEL_SHARED", ROOT.parent / "shared"))
REAL_CSV = SHARED / "data" / "counselchat" / "20200325_counsel_chat.csv"
REAL_CSV_2022 = SHARED / "data" / "counselchat" / "20220401_counsel_chat.csv"
DEV_QUERIES = SHARED / "eval" / "dev_queries.tsv"
DEV_CRISIS = SHARED / "eval" / "dev_crisis.tsv"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

FOLDER_MARKERS = {"model": "model", "corpus": "corpus", "browser": "browser", "server": "server", "milvus": "milvus",
                  "ray": "ray"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        folder = Path(str(item.fspath)).parent.name
        if folder in FOLDER_MARKERS:
            item.add_marker(FOLDER_MARKERS[folder])


def _row(qid, slug, title, text, topic, therapist, answer, upvotes=0, views=10):
    return {"questionID": qid, "questionTitle": title, "questionText": text,
            "questionLink": f"https://counselchat.com/questions/{slug}", "topic": topic,
            "therapistInfo": f"{therapist}Licensed Counselor",
            "therapistURL": f"https://counselchat.com/therapists/{therapist.lower().replace(' ', '-')}",
            "answerText": answer, "upvotes": str(upvotes), "views": str(views), "split": "train"}


# A tiny corpus written for the tests (not CounselChat text): four questions in three topics,
# a glued sentence, non-breaking spaces, and one exact duplicate answer.
SMALL_ROWS = [
    _row(1, "is-crying-in-therapy-normal", "Is crying in therapy normal?",
         "I cry every time I see my counselor and feel embarrassed.", "counseling-fundamentals", "Ana Lima",
         "Crying in a session is very common.Tears often mean you are touching something important.\u00a0"
         "Your counselor expects it and will not judge you.", 3),
    _row(1, "is-crying-in-therapy-normal", "Is crying in therapy normal?",
         "I cry every time I see my counselor and feel embarrassed.", "counseling-fundamentals", "Ben Okafor",
         "Many clients cry in therapy. It is a safe place to let feelings out, so please bring tissues "
         "and let yourself feel.", 1),
    _row(1, "is-crying-in-therapy-normal", "Is crying in therapy normal?",
         "I cry every time I see my counselor and feel embarrassed.", "counseling-fundamentals", "Ben Okafor",
         "Many clients cry in therapy. It is a safe place to let feelings out, so please bring tissues "
         "and let yourself feel.", 1),
    _row(2, "how-do-i-sleep-better", "How do I sleep better?",
         "I lie awake for hours every night worrying about work.", "sleep-improvement", "Cara Diaz",
         "Keep a regular bedtime, avoid screens for an hour before bed, and write your worries in a "
         "notebook so your mind can let go of them.", 0),
    _row(2, "how-do-i-sleep-better", "How do I sleep better?",
         "I lie awake for hours every night worrying about work.", "sleep-improvement", "Ana Lima",
         "Insomnia often comes with anxiety. Try a relaxing routine, limit caffeine after noon, and talk "
         "to a doctor if it lasts for weeks.", 5),
    _row(3, "my-dog-died-and-i-cannot-stop-grieving", "My dog died and I cannot stop grieving",
         "My dog of twelve years died last month and I still cry about it.", "grief-and-loss", "Ben Okafor",
         "Losing a pet is losing a family member. Grief has no schedule; give yourself permission to "
         "mourn and remember the good years together.", 2),
    _row(4, "how-can-i-stop-panic-attacks", "How can I stop panic attacks?",
         "My heart races and I feel like I cannot breathe in crowded places.", "anxiety", "Cara Diaz",
         "Slow breathing helps a panic attack pass: breathe in for four counts and out for six. "
         "A therapist can teach you exposure exercises for crowds.", 4),
]


def write_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return path


@pytest.fixture
def small_rows() -> list[dict]:
    return [dict(r) for r in SMALL_ROWS]


@pytest.fixture
def small_csv(tmp_path) -> Path:
    return write_csv(tmp_path / "small.csv", SMALL_ROWS)


@pytest.fixture(scope="session")
def small_corpus_csv(tmp_path_factory) -> Path:
    """The small corpus as a CSV file shared by a session (for session-scoped builds; read-only)."""
    return write_csv(tmp_path_factory.mktemp("small-corpus") / "small.csv", SMALL_ROWS)


@pytest.fixture(scope="session")
def embedder():
    """The model as the service runs it (EMBEDDING_BACKEND: onnx unless set)."""
    from index.embedding import open_embedder
    from settings import Settings

    return open_embedder("all-MiniLM-L6-v2", Settings().embedding_backend)


@pytest.fixture(scope="session")
def small_index_dir(tmp_path_factory, embedder) -> Path:
    """A built index of the small corpus, shared by the tests of a session (treat as read-only)."""
    from index.builder import build_index
    from index.corpus import load_corpus

    directory = tmp_path_factory.mktemp("small-index")
    corpus = load_corpus(write_csv(directory / "small.csv", SMALL_ROWS))
    build_index(corpus, embedder, directory / "index", model_name="all-MiniLM-L6-v2", passage_tokens=32)
    return directory / "index"


@pytest.fixture(scope="session")
def small_service(small_index_dir, embedder):
    from index.loader import load_index
    from retriever.service import SearchService

    return SearchService(embedder, load_index(small_index_dir))


@pytest.fixture(scope="session")
def corpus_csv_writer():
    """`write(path, [(qid, slug, title, text, topic, therapist, answer, upvotes), ...])` -> a CSV corpus path."""
    return lambda path, rows: write_csv(path, [_row(*row) for row in rows])


@pytest.fixture(scope="session")
def dev_crisis_tsv() -> Path:
    if not DEV_CRISIS.is_file():
        pytest.skip(f"crisis eval set not found at {DEV_CRISIS} (needs ../shared/eval)")
    return DEV_CRISIS


@pytest.fixture(scope="session")
def real_csv() -> Path:
    if not REAL_CSV.is_file():
        pytest.skip(f"real corpus not found at {REAL_CSV} (needs ../shared/data/counselchat)")
    return REAL_CSV


@pytest.fixture(scope="session")
def milvus_lite_engine() -> None:
    """Skip unless pymilvus and milvus-lite 2.x (the real Milvus C++ engine in a file) are installed."""
    from importlib import metadata

    pytest.importorskip("pymilvus", reason="the milvus extra is not installed: pip install -e '.[milvus]'")
    try:
        version = metadata.version("milvus-lite")
    except metadata.PackageNotFoundError:
        pytest.skip("milvus-lite is not installed: pip install -e '.[milvus]'")
    if not version.startswith("2."):
        pytest.skip(f"milvus-lite {version} is a pure-Python stand-in, not the Milvus engine; install 2.5.1")


@pytest.fixture(scope="session")
def dev_queries_file() -> Path:
    """The dev set of worries and their relevant question keys (skipped where absent)."""
    if not DEV_QUERIES.is_file():
        pytest.skip(f"dev set not found at {DEV_QUERIES} (needs ../shared/eval)")
    return DEV_QUERIES


@pytest.fixture(scope="session")
def real_index_dir(tmp_path_factory, real_csv, embedder) -> Path:
    """The full CounselChat index: COUNSEL_TEST_INDEX if set (a prebuilt one), else built once."""
    prebuilt = os.environ.get("COUNSEL_TEST_INDEX")
    if prebuilt:
        return Path(prebuilt)
    from index.builder import build_index
    from index.corpus import load_corpus

    directory = tmp_path_factory.mktemp("real-index") / "index"
    build_index(load_corpus(real_csv), embedder, directory, model_name="all-MiniLM-L6-v2")
    return directory


@pytest.fixture(scope="session")
def real_embedder(real_index_dir, embedder):
    """The model run by the backend the real index was built with (the session's `embedder` when they agree).

    A prebuilt COUNSEL_TEST_INDEX may come from the other backend: serving across backends works (with a
    warning), but incremental builds rightly re-embed everything on a backend change, so the corpus
    tests query and extend the index with the backend that made it.
    """
    from index.embedding import open_embedder
    from index.layout import Manifest, current_version_dir

    built_with = Manifest.read(current_version_dir(real_index_dir)).embedding_backend
    if built_with in embedder.own_backends:
        return embedder
    return open_embedder("all-MiniLM-L6-v2", built_with.split(":")[0])


@pytest.fixture(scope="session")
def real_service(real_index_dir, real_embedder):
    from index.loader import load_index
    from retriever.service import SearchService

    return SearchService(real_embedder, load_index(real_index_dir))


@pytest.fixture
def access_log():
    """Reads the JSON access-log lines written so far in the test: `access_log()` -> list of dicts."""
    import io
    import logging

    from api.logging_setup import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("counsel_search.access")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(previous)
