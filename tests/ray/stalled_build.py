"""Test helper, not part of the product: scripts/build_index.py with its Ray workers made to stall
after one shard each (stalling.py), so a test can kill a distributed build half way.

    python -m tests.ray.stalled_build <marker dir> <build_index.py arguments...>   (from the repository root)
"""
import sys
from functools import partial

import api.wiring
from tests.ray.stalling import open_stalling

marker_dir = sys.argv.pop(1)
real_worker_model = api.wiring.worker_model
api.wiring.worker_model = lambda settings: partial(open_stalling, marker_dir, real_worker_model(settings))

from scripts import build_index  # noqa: E402

sys.exit(build_index.main(sys.argv[1:]))
