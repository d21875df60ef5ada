"""The container files cannot be built here (no container engine), so check that they say what .ci/run does."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_the_image_installs_like_ci_and_runs_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "python:3.11" in dockerfile and "python3.11 -m venv" in (ROOT / ".ci" / "run").read_text()
    assert "pip install ." in dockerfile and "torch.__version__.startswith('2.13.0')" in dockerfile
    assert "torch==2.13.0" in (ROOT / "pyproject.toml").read_text()
    assert "\nUSER counsel\n" in dockerfile and "useradd" in dockerfile
    assert dockerfile.count("\nFROM ") >= 2  # multi-stage: the build tools stay out of the runtime image
    assert 'CMD ["python", "scripts/serve.py"]' in dockerfile


def test_compose_runs_the_api_and_a_scheduled_incremental_reindex():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert set(services) == {"api", "reindex"}
    reindex = " ".join(services["reindex"]["command"])
    assert "scripts/build_index.py --incremental" in reindex and "sleep" in reindex
    assert services["api"]["environment"]["INDEX_DIR"] == services["reindex"]["environment"]["INDEX_DIR"]
    for script in ("serve.py", "build_index.py"):
        assert (ROOT / "scripts" / script).is_file()
