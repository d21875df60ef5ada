"""Incremental reindexing with the real model on the small corpus: only what changed is embedded,
and the result ranks exactly like a full rebuild of the same data."""
import json
import sys
from pathlib import Path

import pytest

from index.builder import build_index
from index.corpus import load_corpus
from index.layout import current_version_dir, list_versions
from index.loader import load_index
from retriever.service import SearchService
from tests.conftest import _row, write_csv

from scripts import build_index as cli

MODEL = "all-MiniLM-L6-v2"
TOKENS = 32  # small passages, so each answer below spans several
QUERIES = ["is it normal to cry in therapy", "I cannot sleep because of work stress", "my pet died",
           "panic attacks in crowds", "grief after losing a dog"]

EDITED_SLEEP_ANSWER = ("Worry at night is common when work is heavy. Set a fixed time to stop working and a fixed "
                       "time to go to bed. Before bed, write tomorrow's tasks on paper so they stop circling. "
                       "If you still lie awake after twenty minutes, get up and read something calm.")
ADDED_GRIEF_ANSWER = _row(3, "my-dog-died-and-i-cannot-stop-grieving", "My dog died and I cannot stop grieving",
                          "My dog of twelve years died last month and I still cry about it.", "grief-and-loss",
                          "Dev Patel", "Twelve years is a long friendship. Many people find it helps to make a "
                          "small memorial, a photo book or a planted tree. Talking with others who lost a pet "
                          "can ease the loneliness of this kind of grief.", 1)


def edited_rows(rows):
    """One answer edited (the sleep answer by Cara Diaz), one removed (by Ana Lima, same question
    keeps an answer), one added to an existing question."""
    rows = [dict(r) for r in rows]
    for row in rows:
        if row["therapistInfo"].startswith("Cara Diaz") and row["topic"] == "sleep-improvement":
            row["answerText"] = EDITED_SLEEP_ANSWER
    rows = [r for r in rows if not (r["therapistInfo"].startswith("Ana Lima") and r["topic"] == "sleep-improvement")]
    return rows + [dict(ADDED_GRIEF_ANSWER)]


def run_cli(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_edit_remove_add_embeds_exactly_two_answers_and_ranks_like_a_full_rebuild(tmp_path, small_rows, embedder,
                                                                                     capsys):
    incremental_dir, full_dir = tmp_path / "incremental", tmp_path / "full"
    first = build_index(load_corpus(write_csv(tmp_path / "v1.csv", small_rows)), embedder, incremental_dir,
                        model_name=MODEL, passage_tokens=TOKENS)
    updated_csv = write_csv(tmp_path / "v2.csv", edited_rows(small_rows))

    code, out, _ = run_cli(capsys, "--data", str(updated_csv), "--index-dir", str(incremental_dir), "--model", MODEL,
                           "--passage-tokens", str(TOKENS), "--incremental", "--json")
    assert code == 0
    summary = json.loads(out)
    assert {"added", "updated", "removed", "unchanged", "embedded", "seconds", "version"} <= set(summary)
    assert (summary["added"], summary["updated"], summary["removed"]) == (1, 1, 1)
    assert summary["unchanged"] == first.answers - 2  # six answers: one edited, one removed
    index = load_index(incremental_dir)
    assert index.manifest.version == summary["version"] != first.version
    changed = [a.answer_id for a in index.answers if a.answer in (EDITED_SLEEP_ANSWER,) or a.therapist == "Dev Patel"]
    two_answers_passages = sum(len(index.passages_by_answer[a]) for a in changed)
    assert len(changed) == 2 and two_answers_passages >= 4  # several passages each: a real count, not 2
    assert summary["embedded"] == two_answers_passages
    assert summary["embedded_questions"] == 0  # no question text changed
    assert summary["full_rebuild_reason"] is None

    full = build_index(load_corpus(updated_csv), embedder, full_dir, model_name=MODEL, passage_tokens=TOKENS)
    assert full.embedded == len(load_index(full_dir).passages)
    incremental_service = SearchService(embedder, index)
    full_service = SearchService(embedder, load_index(full_dir))
    for query in QUERIES:
        got = incremental_service.search(query, k=5).ranking.results
        expected = full_service.search(query, k=5).ranking.results
        assert [r.answer.answer_id for r in got] == [r.answer.answer_id for r in expected], query
        assert [r.score for r in got] == pytest.approx([r.score for r in expected], abs=1e-4), query


def test_an_unchanged_rerun_embeds_nothing(tmp_path, small_csv, embedder):
    build_index(load_corpus(small_csv), embedder, tmp_path, model_name=MODEL, passage_tokens=TOKENS)
    again = build_index(load_corpus(small_csv), embedder, tmp_path, model_name=MODEL, passage_tokens=TOKENS,
                        incremental=True)
    assert (again.embedded, again.embedded_questions, again.added, again.updated, again.removed) == (0, 0, 0, 0, 0)
    assert again.unchanged == again.answers


def test_changed_index_settings_force_a_full_rebuild_and_say_why(tmp_path, small_csv, embedder):
    build_index(load_corpus(small_csv), embedder, tmp_path, model_name=MODEL, passage_tokens=TOKENS)
    rebuilt = build_index(load_corpus(small_csv), embedder, tmp_path, model_name=MODEL, passage_tokens=64,
                          incremental=True)
    assert "passage size changed (32 -> 64)" in rebuilt.full_rebuild_reason
    assert rebuilt.embedded == rebuilt.passages
    renamed = build_index(load_corpus(small_csv), embedder, tmp_path, model_name="another-model", passage_tokens=64,
                          incremental=True)
    assert "model changed (all-MiniLM-L6-v2 -> another-model)" in renamed.full_rebuild_reason
    assert renamed.embedded == renamed.passages and renamed.embedded_questions == renamed.questions


def test_old_versions_beyond_keep_versions_are_pruned(tmp_path, small_csv, embedder):
    reports = [build_index(load_corpus(small_csv), embedder, tmp_path, model_name=MODEL, passage_tokens=TOKENS,
                           keep_versions=2, incremental=True) for _ in range(3)]
    assert [v.name for v in list_versions(tmp_path)] == [r.version for r in reports[1:]]
    assert current_version_dir(tmp_path).name == reports[-1].version


def test_skip_bad_rows_goes_on_and_counts_them(tmp_path, small_rows, capsys):
    small_rows[5]["views"] = "-3"
    data = write_csv(tmp_path / "bad.csv", small_rows)
    code, out, err = run_cli(capsys, "--data", str(data), "--index-dir", str(tmp_path / "index"), "--model", MODEL,
                             "--skip-bad-rows", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["bad_rows"] == 1 and "line 7, field views" in err
    assert load_index(tmp_path / "index").manifest.answers == 5
