"""Every command in README.md and docs/ works as written, from a fresh HOME (a warm cache hides first-run bugs).

The commands run in a scratch folder that links the checkout's .venv, scripts, benchmarks, data and tests,
so relative paths (`indexes/counselchat`, `./milvus.db`) land there, with `COUNSELCHAT_CSV` pointing at
the small corpus the tests write and HOME a new empty folder. Order: one-shot commands (builds first),
then each server command is started, waited for, given every `curl` line of the docs (on a free port
instead of 8000), and stopped; installs (`.venv/bin/pip install ...`) run in the checkout, where they
are written to run. Lines ending in `# slow: ...` run with `--help` only; `pytest` lines are
this suite itself; the two commands at the top of README are what CI runs (install, then the test
command), so only their last part (the server) runs here.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import SMALL_ROWS, write_csv

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINKED = (".venv", "scripts", "benchmarks", "data", "tests")
SERVERS = re.compile(r"counsel-search (?:serve|mcp\b.*--http)")
TOKEN = "documented-commands-token"


def documented_lines() -> list[tuple[str, str]]:
    """(document, command) for every command line of every ```bash block, continuation lines joined."""
    found = []
    for document in DOCUMENTS:
        for block in re.findall(r"```bash\n(.*?)```", document.read_text(encoding="utf-8"), re.S):
            for line in block.replace("\\\n", " ").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    found.append((document.name, line))
    return found


def without_comment(line: str) -> tuple[str, str]:
    """(the command, its trailing comment): a `#` outside quotes, after a space, starts the comment."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].strip(), line[i + 1:].strip()
    return line.strip(), ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("documented")
    for name in LINKED:
        (scratch / name).symlink_to(ROOT / name)
    (scratch / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COUNSEL", "INDEX_DIR", "MODEL_CACHE", "MILVUS",
                                                                     "VECTOR_BACKEND", "PORT", "ADMIN"))}
    env |= {"HOME": str(scratch / "home"), "COUNSELCHAT_CSV": str(write_csv(scratch / "small.csv", SMALL_ROWS)),
            "HF_HUB_OFFLINE": "1", "ADMIN_TOKEN": TOKEN, "RELOAD_POLL_SECONDS": "0"}
    return scratch, env


def run(command: str, cwd: Path, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def plan() -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """(one-shot commands, server commands, curl commands), each (document, command as it runs), in the
    order they run: builds first, and everything Milvus last (moving the index to Milvus changes it)."""
    once, servers, curls = [], [], []
    for document, line in documented_lines():
        command, comment = without_comment(line)
        if command.startswith("python3.11 -m venv"):
            command = command.split("&&")[-1].strip()  # CI runs the install and the test command itself
        if "pytest" in command:
            continue  # the suite itself
        if comment.startswith("slow:"):
            command = f"{command.split(' --')[0]} --help"
        if command.startswith("curl"):
            curls.append((document, command))
        elif SERVERS.search(command):
            servers.append((document, command))
        else:
            once.append((document, command))
    milvus_last = lambda commands: sorted(commands, key=lambda c: "VECTOR_BACKEND=milvus" in c[1])
    builds = [c for c in once if " build" in c[1] and "milvus" not in c[1]]
    return milvus_last(builds + [c for c in once if c not in builds]), milvus_last(servers), curls


def test_the_documents_have_commands_of_every_kind():
    once, servers, curls = plan()
    assert len(once) >= 8 and len(servers) >= 2 and len(curls) >= 4


def test_every_program_the_documents_name_in_the_environment_is_installed():
    """Also in blocks no test runs (a crontab line, a systemd unit): `.venv/bin/X` is a program the install made."""
    bin_dir = ROOT / ".venv" / "bin"
    if not bin_dir.is_dir():
        pytest.skip("no .venv in the checkout: install it as README says")
    named = {(document.name, program) for document in DOCUMENTS
             for program in re.findall(r"(?<![\w/.-])\.venv/bin/([\w.-]+)", document.read_text(encoding="utf-8"))}
    assert len(named) >= 3
    assert not [(document, program) for document, program in sorted(named) if not (bin_dir / program).is_file()]


def test_every_documented_command_works_as_written(workspace):
    scratch, env = workspace
    once, servers, curls = plan()
    steps = [("once", c) for c in once if "VECTOR_BACKEND=milvus" not in c[1]] + \
            [("server", c) for c in servers if "VECTOR_BACKEND=milvus" not in c[1]] + \
            [("once", c) for c in once if "VECTOR_BACKEND=milvus" in c[1]] + \
            [("server", c) for c in servers if "VECTOR_BACKEND=milvus" in c[1]]
    for kind, (document, command) in steps:
        if kind == "server":
            serve_and_query(document, command, curls, scratch, env)
            continue
        if "counsel-search mcp" in command:  # stdio: serves until its input closes
            done = subprocess.run(["bash", "-c", command], cwd=scratch, env=env, input="", capture_output=True,
                                  text=True, timeout=300)
        else:  # an install runs where the project is; everything else in the scratch folder
            done = run(command, ROOT if command.startswith(".venv/bin/pip install") else scratch, env)
        assert done.returncode == 0, \
            f"{document}: `{command}` exited {done.returncode}:\n{done.stdout[-1500:]}\n{done.stderr[-3000:]}"


def serve_and_query(document: str, command: str, curls, scratch: Path, env: dict) -> None:
    """Start a documented server command, wait for it, run every documented curl line against it, stop it."""
    given = re.search(r"--port (\d+)", command)
    port = int(given.group(1)) if given else free_port()
    log = scratch / f"server-{port}.log"
    with open(log, "w") as stderr:
        server = subprocess.Popen(["bash", "-c", command], cwd=scratch, start_new_session=True,
                                  env=env if given else env | {"PORT": str(port)}, stdout=subprocess.DEVNULL,
                                  stderr=stderr)
    try:
        wait_listening(port, server, f"{document}: `{command}`", log)
        if "counsel-search mcp" in command:
            return
        for curl_document, curl in curls:
            done = run(curl.replace("localhost:8000", f"localhost:{port}"), scratch, env, timeout=120)
            assert done.returncode == 0 and done.stdout.lstrip().startswith("{"), \
                f"{curl_document}: `{curl}` against `{command}` answered {done.stdout[:300]!r} {done.stderr[-500:]}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def wait_listening(port: int, process: subprocess.Popen, what: str, log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        try:  # the MCP server has no /readyz: accepting connections is enough
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                if "mcp" in what:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what} did not become ready on port {port}")
