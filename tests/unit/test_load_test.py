"""scripts/load_test.py: it loads the index it is given, resolved where it was called (the server it
starts runs in the project folder), refuses a missing one rather than let the server build it, and a
failed run says on standard error what failed, by kind, with the end of the server's log, so a caller
that keeps only standard error (CI, the documented-commands test) can tell a 500 from a timeout."""
import pytest

from scripts import load_test
from scripts.load_test import report_failure


def test_the_server_it_starts_is_given_the_index_folder_as_the_caller_meant_it(tmp_path, monkeypatch):
    started = {}
    monkeypatch.setattr(load_test.subprocess, "Popen", lambda command, **kw: started.update(kw) or "process")
    monkeypatch.chdir(tmp_path)
    load_test.start_server(load_test.Path("indexes/counselchat"), tmp_path / "server.log")
    assert started["env"]["INDEX_DIR"] == str(tmp_path / "indexes" / "counselchat")


def test_a_folder_without_an_index_is_refused_before_any_server_starts(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(load_test, "start_server", lambda *a: pytest.fail("a server was started"))
    with pytest.raises(SystemExit) as exit_:
        load_test.main(["--index-dir", str(tmp_path / "nothing"), "--seconds", "1"])
    assert exit_.value.code == 2 and "no index at" in capsys.readouterr().err


def test_a_failed_run_names_its_errors_and_shows_the_server_log_end(tmp_path, capsys):
    log = tmp_path / "server.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)) + "Traceback: ValueError\n", encoding="utf-8")
    report_failure({"ok": 7, "requests": 10, "errors": {"HTTP 500": 2, "ReadTimeout": 1}}, log, lines=5)
    err = capsys.readouterr().err
    assert "7 of 10 requests" in err and "'HTTP 500': 2" in err and "'ReadTimeout': 1" in err
    assert "Traceback: ValueError" in err and "line 96" in err and "line 95" not in err


def test_without_a_server_log_only_the_errors_are_reported(tmp_path, capsys):
    report_failure({"ok": 0, "requests": 3, "errors": {"ConnectError": 3}}, tmp_path / "absent.log")
    err = capsys.readouterr().err
    assert "0 of 3 requests" in err and "ConnectError" in err and "server log" not in err
