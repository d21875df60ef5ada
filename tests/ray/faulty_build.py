"""Test helper, not part of the product: scripts/build_index.py with its Ray workers given a fault
(worker_faults.py), so a test can stop a distributed build half way or watch one fail.

    python -m tests.ray.faulty_build stall:<marker dir> <build_index.py arguments...>   (from the repository root)
    python -m tests.ray.faulty_build broken <build_index.py arguments...>
"""
import sys
from functools import partial

import api.wiring
from tests.ray.worker_faults import open_broken, open_stalling

fault = sys.argv.pop(1)
real_worker_model = api.wiring.worker_model
if fault.startswith("stall:"):
    api.wiring.worker_model = lambda settings: partial(open_stalling, fault.split(":", 1)[1], real_worker_model(settings))
elif fault == "broken":
    api.wiring.worker_model = lambda settings: partial(open_broken, real_worker_model(settings))
else:
    sys.exit(f"unknown fault {fault!r}")

from scripts import build_index  # noqa: E402

sys.exit(build_index.main(sys.argv[1:]))
