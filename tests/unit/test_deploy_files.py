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


def test_the_milvus_compose_runs_milvus_standalone_the_official_way_under_api_replicas():
    compose = yaml.safe_load((ROOT / "docker-compose.milvus.yml").read_text())
    services = compose["services"]
    assert {"etcd", "minio", "standalone", "api", "reindex"} <= set(services)
    standalone = services["standalone"]
    assert standalone["command"] == ["milvus", "run", "standalone"]
    assert standalone["environment"] == {"ETCD_ENDPOINTS": "etcd:2379", "MINIO_ADDRESS": "minio:9000"}
    # the server version deployed is the one CI tests against (the `milvus` package pinned in the extra)
    assert standalone["image"] == "milvusdb/milvus:v2.3.5" and '"milvus==2.3.5"' in (ROOT / "pyproject.toml").read_text()
    api, reindex = services["api"], services["reindex"]
    assert api["deploy"]["replicas"] >= 2 and api["build"]["args"]["EXTRAS"] == "milvus"
    for service in (api, reindex):
        assert service["environment"]["VECTOR_BACKEND"] == "milvus"
        assert service["environment"]["MILVUS_URI"] == "http://standalone:19530"
        assert service["depends_on"]["standalone"]["condition"] == "service_healthy"
    assert "scripts/build_index.py --incremental" in " ".join(reindex["command"])
    assert 'pip install ".[$EXTRAS]"' in (ROOT / "Dockerfile").read_text()
