"""scripts/build_index.py as cron sees it: exit codes and the JSON summary, for the cases that stop
before the model loads (bad input, a build already running, rollback)."""
import csv
import json
import sys
from pathlib import Path

import pytest

from index.layout import build_lock, current_version_dir, switch_current
from tests.unit.test_layout import make_version

from scripts import build_index as cli


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_rows(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_malformed_row_exits_2_naming_file_line_and_field(tmp_path, capsys, small_rows):
    small_rows[2]["upvotes"] = "lots"
    data = write_rows(tmp_path / "bad.csv", small_rows)
    code, out, err = run(capsys, "--data", str(data), "--index-dir", str(tmp_path / "index"), "--json")
    assert code == 2
    summary = json.loads(out)
    assert summary["status"] == "bad_input" and summary["exit_code"] == 2
    assert "bad.csv, line 4, field upvotes" in summary["error"] and "bad.csv, line 4, field upvotes" in err
    assert not (tmp_path / "index" / "current").exists()


def test_a_missing_data_file_is_bad_input(tmp_path, capsys):
    code, _, err = run(capsys, "--data", str(tmp_path / "nope.csv"), "--index-dir", str(tmp_path / "index"))
    assert code == 2 and "no such file" in err


def test_a_second_build_is_refused_with_exit_1_while_one_runs(tmp_path, capsys, small_csv):
    with build_lock(tmp_path / "index"):
        code, out, err = run(capsys, "--data", str(small_csv), "--index-dir", str(tmp_path / "index"), "--json")
    assert code == 1
    assert json.loads(out)["status"] == "locked" and "another build is running" in err


def test_rollback_switches_back_and_reports_json(tmp_path, capsys):
    one, two = make_version(tmp_path, "20260101T000000Z-aaaaaa"), make_version(tmp_path, "20260102T000000Z-bbbbbb")
    switch_current(tmp_path, two)
    code, out, _ = run(capsys, "--index-dir", str(tmp_path), "--rollback", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["version"] == one.name and summary["from_version"] == two.name and summary["action"] == "rollback"
    assert current_version_dir(tmp_path) == one.resolve()
    code, out, err = run(capsys, "--index-dir", str(tmp_path), "--rollback", "--json")
    assert code == 1 and "nothing to roll back to" in json.loads(out)["error"]
    assert current_version_dir(tmp_path) == one.resolve()


def test_rollback_without_an_index_fails_clearly(tmp_path, capsys):
    code, _, err = run(capsys, "--index-dir", str(tmp_path), "--rollback")
    assert code == 1 and "no index at" in err


def test_keep_versions_must_be_positive(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.parse_args(cli.Settings(), ["--keep-versions", "0"])
    assert exit_.value.code == 2


def test_an_unknown_engine_is_bad_input_before_anything_is_read(tmp_path, capsys):
    code, out, err = run(capsys, "--data", str(tmp_path / "not-read.csv"), "--index-dir", str(tmp_path / "index"),
                         "--engine", "spark", "--json")
    assert code == 2
    assert json.loads(out) == {"status": "bad_input", "exit_code": 2,
                               "error": "unknown embedding engine 'spark'; choose one of local, ray"}
    assert "Traceback" not in err and not (tmp_path / "index").exists()


def test_the_ray_engine_without_ray_is_bad_input_naming_the_extra(tmp_path, capsys, small_csv, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real_find_spec(name, *a))
    code, out, err = run(capsys, "--data", str(small_csv), "--index-dir", str(tmp_path / "index"), "--engine", "ray",
                         "--json")
    assert code == 2 and json.loads(out)["status"] == "bad_input"
    assert "pip install 'counsel-search[ray]'" in err and "Traceback" not in err


def test_without_an_engine_option_ray_is_never_imported():
    import subprocess

    code = ("import sys; import scripts.build_index, scripts.cli, index.builder, api.wiring; "
            "from index.engines import open_engine; open_engine('local', open_model=None); "
            "sys.exit(1 if 'ray' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2]).returncode == 0


def test_a_ray_cluster_nothing_answers_at_fails_before_anything_is_read(tmp_path, capsys):
    import socket

    pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[ray]'")
    with socket.socket() as unused:  # a loopback port that was free a moment ago
        unused.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{unused.getsockname()[1]}"
    code, out, err = run(capsys, "--data", str(tmp_path / "not-read.csv"), "--index-dir", str(tmp_path / "index"),
                         "--engine", "ray", "--ray-address", address, "--json")
    assert code == 1 and json.loads(out)["status"] == "failed"
    assert f"cannot reach the Ray cluster at {address}" in err and not (tmp_path / "index").exists()
