"""Ray in local mode for the distributed-build tests: one Ray per module, two CPUs, as the brief of
the machine says (actors reserve half a CPU each, or Ray Data deadlocks on two cores)."""
from __future__ import annotations

from functools import partial

import pytest


@pytest.fixture(scope="module")
def local_ray():
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def worker_model(embedder):
    """How the Ray workers open the session's model: as the command line does (api.wiring), the
    derived int8 graph kept in MODEL_CACHE_DIR, derived here once so the workers find it."""
    from api.wiring import worker_model as configured
    from settings import Settings

    opener = configured(Settings().model_copy(update={"embedding_model": embedder.name}))
    assert opener().document_backend == embedder.document_backend
    return opener
