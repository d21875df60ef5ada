"""`--engine ray` in local mode on a corpus written here: the same vectors (allclose 1e-5) and the
same rankings as a plain build, and a build killed half way resumes from the shards it wrote."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from index.builder import build_index
from index.corpus import load_corpus
from index.engines import RayOptions
from index.engines.ray_engine import RayEngine
from index.layout import current_version_dir, shards_dir
from index.loader import load_index
from retriever.service import SearchService
from tests.conftest import SMALL_ROWS, _row, write_csv

pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[ray]'")
pytest.importorskip("pyarrow", reason="the ray extra is not installed: pip install -e '.[ray]'")

ROOT = Path(__file__).resolve().parents[2]
MODEL = "all-MiniLM-L6-v2"
TOKENS = 32
SHARD = 4  # texts per shard: ~14 shards for this corpus, so a kill lands between them
QUERIES = ["how do I tell my parents I need therapy", "I feel lonely since I moved to a new city",
           "my boss yells at me and I freeze", "is it normal to cry in therapy", "panic attacks in crowds"]

# Written for this test (not CounselChat text): questions in four topics, answers long enough to
# span several passages of 32 word pieces.
QUESTIONS = {  # question number -> slug, title, text, topic
    10: ("how-do-i-tell-my-parents-i-want-therapy", "How do I tell my parents I want therapy?",
         "I am sixteen and I think I need to talk to someone, but my parents think therapy is for crazy people.",
         "family-conflict"),
    11: ("i-feel-lonely-after-moving", "I feel lonely after moving",
         "We moved for my job six months ago and I still have no friends here. Evenings are the worst.", "loneliness"),
    12: ("my-boss-yells-at-me", "My boss yells at me and I freeze",
         "Whenever my manager raises his voice I go blank and cannot answer. Afterwards I replay it for hours.",
         "workplace-relationships"),
}
ANSWERS = [  # question number, therapist, answer, upvotes
    (10, "Dana Reyes", "Start with what you feel rather than with the word therapy. Tell them you have been sad or "
     "worried for a while and that you want help. Many parents soften when they hear the worry behind the request. "
     "A school counselor can also help you talk to them.", 2),
    (10, "Eli Moreau", "Write down a few sentences before the talk. Choose a calm moment, not the middle of an "
     "argument. If they say no at first, ask whether a doctor visit is acceptable; doctors can refer you.", 1),
    (11, "Dana Reyes", "Loneliness after a move is common and it usually fades once routines form. Pick one weekly "
     "activity with the same people, a class, a club or a volunteer shift, because friendships grow from "
     "repetition. Keep calling old friends meanwhile; they are still your people.", 4),
    (11, "Farah Nouri", "Evenings are hard when the day has no one at its end. Plan them on purpose: a walk, a call, "
     "a meal cooked for yourself. If the sadness deepens or you stop enjoying things, talk to a counselor.", 0),
    (12, "Eli Moreau", "Freezing is your nervous system protecting you, not a weakness. Practise a short line you can "
     "say, such as I want to answer this calmly, can we talk in ten minutes. Keep notes of each incident, and speak "
     "with human resources if the yelling continues.", 3),
    (12, "Farah Nouri", "Replaying the scene for hours keeps the stress going. Set a short time to think it through, "
     "then do something with your body: walk, stretch, breathe slowly. A therapist can help with the freeze.", 1),
]
ROWS = [_row(number, *QUESTIONS[number], therapist, answer, upvotes)
        for number, therapist, answer, upvotes in ANSWERS]


def corpus_csv(directory: Path) -> Path:
    return write_csv(directory / "ray-corpus.csv", [dict(r) for r in SMALL_ROWS + ROWS])


def faulty_build(fault: str, tmp_path: Path, index_dir: Path) -> list[str]:
    """The command line of a Ray build of the test corpus whose workers have `fault` (faulty_build.py)."""
    return [sys.executable, "-m", "tests.ray.faulty_build", fault, "--data", str(corpus_csv(tmp_path)),
            "--index-dir", str(index_dir), "--model", MODEL, "--passage-tokens", str(TOKENS), "--engine", "ray",
            "--texts-per-shard", str(SHARD), "--json"]


@pytest.fixture(scope="module")
def plain_index(tmp_path_factory, embedder) -> Path:
    directory = tmp_path_factory.mktemp("plain")
    build_index(load_corpus(corpus_csv(directory)), embedder, directory / "index", model_name=MODEL,
                passage_tokens=TOKENS)
    return directory / "index"


def assert_same_index(built: Path, plain: Path, embedder) -> None:
    """Every stored vector within 1e-5 of the plain build's, and the same answers ranked the same way."""
    got, expected = load_index(built), load_index(plain)
    assert [p.passage_id for p in got.passages] == [p.passage_id for p in expected.passages]
    for store in ("passage_store", "question_store"):
        ids = [p.passage_id for p in expected.passages] if store == "passage_store" else \
            [q.vector_id for q in expected.questions]
        np.testing.assert_allclose(getattr(got, store).get_vectors(ids), getattr(expected, store).get_vectors(ids),
                                   atol=1e-5)
    np.testing.assert_allclose(got.question_views, expected.question_views, atol=1e-5)
    on_built, on_plain = SearchService(embedder, got), SearchService(embedder, expected)
    for query in QUERIES:
        ranked, wanted = on_built.search(query, k=5).ranking.results, on_plain.search(query, k=5).ranking.results
        assert [r.answer.answer_id for r in ranked] == [r.answer.answer_id for r in wanted]
        np.testing.assert_allclose([r.score for r in ranked], [r.score for r in wanted], atol=1e-5)


def test_a_ray_build_has_the_vectors_and_rankings_of_a_plain_build(tmp_path, local_ray, embedder, worker_model,
                                                                    plain_index):
    engine = RayEngine(worker_model, RayOptions(texts_per_shard=SHARD))
    report = build_index(load_corpus(corpus_csv(tmp_path)), embedder, tmp_path / "index", model_name=MODEL,
                         passage_tokens=TOKENS, engine=engine)
    texts = report.embedded + report.embedded_questions
    assert report.engine["name"] == "ray" and report.engine["actors"] == 2
    assert report.engine["shards_written"] >= texts // SHARD and report.engine["shards_reused"] == 0
    assert_same_index(tmp_path / "index", plain_index, embedder)
    assert not shards_dir(tmp_path / "index").exists(), "a successful build leaves no shards behind"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["interrupted", "killed"])
def test_a_stopped_ray_build_resumes_from_its_shards_while_the_old_version_serves(tmp_path, local_ray, embedder,
                                                                                   worker_model, plain_index, stop):
    """SIGTERM: the command says `interrupted` (exit 1) as for any build; SIGKILL: nothing cleans up.
    Either way the version that was current stays current, and the rerun reuses the shards."""
    index_dir = tmp_path / "index"
    build_index(load_corpus(write_csv(tmp_path / "v1.csv", SMALL_ROWS)), embedder, index_dir, model_name=MODEL,
                passage_tokens=TOKENS)
    serving = current_version_dir(index_dir)
    markers = tmp_path / "markers"
    markers.mkdir()
    build = subprocess.Popen(
        faulty_build(f"stall:{markers}", tmp_path, index_dir), cwd=ROOT, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while len(list(markers.iterdir())) < 2 and build.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert build.poll() is None, f"the build ended before it stalled: {build.communicate()}"
        assert list(markers.iterdir()), "no Ray worker reached its second shard within 3 minutes"
        build.send_signal(stop)
        out, _ = build.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):  # the build and its local Ray (workers die with the raylet)
            os.killpg(build.pid, signal.SIGKILL)
        build.wait()
    if stop == signal.SIGTERM:
        assert build.returncode == 1 and json.loads(out)["status"] == "interrupted"
    kept = sorted(p.name for p in shards_dir(index_dir).rglob("*.parquet"))
    assert 1 <= len(kept) <= 2, kept  # one complete shard per worker that stalled
    assert current_version_dir(index_dir) == serving and load_index(index_dir).manifest.answers == 6

    engine = RayEngine(worker_model, RayOptions(texts_per_shard=SHARD))
    report = build_index(load_corpus(corpus_csv(tmp_path)), embedder, index_dir, model_name=MODEL,
                         passage_tokens=TOKENS, engine=engine)
    assert report.engine["shards_reused"] == len(kept)
    assert report.engine["texts_reused"] == SHARD * len(kept)
    assert current_version_dir(index_dir) != serving
    assert_same_index(index_dir, plain_index, embedder)
    assert not shards_dir(index_dir).exists()


def test_a_worker_that_cannot_open_the_model_fails_the_build_with_a_sentence(tmp_path):
    """The command line as cron runs it: exit 1, stdout the JSON object alone (Ray prints its
    workers' errors to stdout: the command sends them to stderr), one sentence, `current` untouched."""
    done = subprocess.run(faulty_build("broken", tmp_path, tmp_path / "index"), cwd=ROOT, capture_output=True,
                          text=True, timeout=180)
    summary = json.loads(done.stdout)
    assert done.returncode == 1 and summary["status"] == "failed" and summary["exit_code"] == 1
    assert summary["error"].startswith("the Ray build stopped after 0 of ")
    assert "run the same build again to resume" in summary["error"]
    assert summary["error"].endswith("ModelError: this worker has no model (a fault the test injected))")
    assert "error: the Ray build stopped" in done.stderr
    assert not (tmp_path / "index" / "current").exists()
