"""How many processes serve and how many model threads each run uses: the cores are shared, never oversubscribed."""
import os

import pytest

from api.wiring import serving_processes, serving_threads
from settings import Settings


@pytest.fixture(autouse=True)
def four_cores(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)


def test_one_process_with_micro_batching_gives_its_one_encoder_every_core():
    assert serving_threads(Settings(workers=1, encode_batch_max=16)) == 4


def test_worker_processes_share_the_cores():
    assert serving_processes(Settings(workers=0)) == 4
    assert serving_threads(Settings(workers=0, encode_batch_max=16)) == 1
    assert serving_threads(Settings(workers=2, encode_batch_max=16)) == 2


def test_without_batching_each_concurrent_search_gets_its_share():
    assert serving_threads(Settings(workers=1, encode_batch_max=0, search_threads=2)) == 2
    assert serving_threads(Settings(workers=2, encode_batch_max=1, search_threads=8)) == 1  # never below one


def test_embedding_threads_overrides_the_rule():
    assert serving_threads(Settings(workers=4, embedding_threads=3)) == 3
