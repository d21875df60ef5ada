"""The distributed engine: Ray Data embeds the missing texts with a pool of actors, into Parquet shards.

Why Ray Data: a full re-embed of millions of passages (a model change) is a batch job for an
existing engine that schedules workers, restarts the ones that die and spreads over a cluster,
not a longer loop in one process. Each actor opens the model once (the same int8 document graph
as a plain build, one core each) and turns each shard plan into a shard file (shards.py); the
driver then reads the vectors back and the builder goes on as for any build.

`ray` is imported only when this engine runs; without `address` Ray starts on this machine
(local mode). Actors reserve `cpus_per_actor` (0.5 by default, while each uses one core): on a
2-CPU machine, whole-CPU actors leave Ray Data no CPU for its own tasks and the run deadlocks.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import re
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np

from index.embedding import Embedder
from index.engines.base import Embedded, EngineError, EngineSetupError, MissingTexts
from index.engines.shards import ShardPlan, embed_by_shards, work_key, write_shard

ModelOpener = Callable[[], Embedder]  # picklable (a functools.partial of open_embedder): actors call it


@dataclass(frozen=True)
class RayOptions:
    address: str | None = None  # a cluster ("auto", "ray://head:10001"); None: Ray on this machine, every core
    actors: int | None = None  # size of the actor pool; None: one per CPU Ray has
    cpus_per_actor: float = 0.5
    texts_per_shard: int = 1000  # ~12 s of one core per shard (CounselChat-like texts): what a dying worker loses

    def __post_init__(self) -> None:
        if self.texts_per_shard < 1 or (self.actors is not None and self.actors < 1) or self.cpus_per_actor <= 0:
            raise EngineSetupError("Ray engine options: texts per shard and actors must be at least 1, "
                                   "CPUs per actor above 0")


def require_ray() -> None:
    """Refuse at once, with the install command, when Ray Data is not installed."""
    absent = [name for name in ("ray", "pyarrow") if importlib.util.find_spec(name) is None]
    if absent:
        raise EngineSetupError(f"the Ray engine needs Ray Data ({', '.join(absent)} not installed): "
                               f"pip install 'counsel-search[ray]'")


class RayEngine:
    """Missing texts -> shard plans -> a Ray Data actor pool writing shards -> vectors read back."""

    name = "ray"

    def __init__(self, open_model: ModelOpener, options: RayOptions | None = None):
        require_ray()
        self.open_model = open_model
        self.options = options or RayOptions()
        if self.options.address:  # before the build reads anything: ray.init would retry for minutes
            refuse_unreachable(self.options.address)

    def embed_missing(self, embedder: Embedder, missing: MissingTexts) -> Embedded:
        directory = missing.work_dir / work_key(embedder.name, embedder.document_backend, embedder.dimension)
        actors_used: list[int] = []

        def write(plans: list[ShardPlan]) -> None:
            actors_used.append(self._write_shards(plans, directory, embedder.document_backend, progress=missing.progress))

        embedded = embed_by_shards(directory, missing, embedder.dimension, write,
                                   texts_per_shard=self.options.texts_per_shard)
        embedded.summary = {"name": self.name, **embedded.summary, "actors": sum(actors_used)}
        return embedded

    def _write_shards(self, plans: list[ShardPlan], directory: Path, document_backend: str, *, progress: bool) -> int:
        """Run the plans on an actor pool; return the pool's size."""
        import ray
        import ray.data

        started_here = _connect(ray, self.options)
        done = 0
        try:
            actors = min(len(plans), self.options.actors or max(1, int(ray.cluster_resources().get("CPU", 1))))
            ray.data.DataContext.get_current().enable_progress_bars = False  # our own count below, on stderr
            rows = [{"name": plan.name, "keys": list(plan.keys), "texts": list(plan.texts)} for plan in plans]
            shards = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
                ShardWriter, fn_constructor_kwargs={"open_model": self.open_model, "directory": str(directory),
                                                    "document_backend": document_backend},
                compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=self.options.cpus_per_actor,
                batch_size=1, batch_format="numpy")
            for _ in shards.iter_rows():
                done += 1
                if progress:
                    print(f"\rshards {done}/{len(plans)}", end="" if done < len(plans) else "\n", file=sys.stderr,
                          flush=True)
            return actors
        except ray.exceptions.RayError as error:
            raise EngineError(f"the Ray build stopped after {done} of {len(plans)} new shards; the shards written "
                              f"are kept in {directory}, run the same build again to resume ({_reason(error)})") from error
        finally:
            if started_here:
                ray.shutdown()


class ShardWriter:
    """A Ray Data actor: opens the model once, then embeds each shard plan it is handed and writes it."""

    def __init__(self, open_model: ModelOpener, directory: str, document_backend: str):
        self.embedder = open_model()
        if self.embedder.document_backend != document_backend:  # vectors of two graphs never go in one index
            raise EngineError(f"a Ray worker embeds with {self.embedder.document_backend}, the build with "
                              f"{document_backend}: install the same model and packages on every node")
        self.directory = Path(directory)
        self.document_backend = document_backend

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        for name, keys, texts in zip(batch["name"], batch["keys"], batch["texts"]):
            vectors = self.embedder.encode_documents([str(text) for text in texts])
            write_shard(self.directory / str(name), [str(key) for key in keys], vectors,
                        document_backend=self.document_backend)
        return {"name": np.asarray(batch["name"])}


def _connect(ray, options: RayOptions) -> bool:
    """Start or join Ray unless this process already did; True when this call started it.

    Ray installs a handler that kills the process on SIGTERM before Python sees the signal; the
    handlers that were there are put back, so the caller still decides what a SIGTERM means (the
    command line: exit 1, "interrupted", `current` untouched, shards kept).
    """
    if ray.is_initialized():
        return False
    connect = (partial(ray.init, address=options.address) if options.address else
               partial(ray.init, address="local", num_cpus=len(os.sched_getaffinity(0)), include_dashboard=False))
    in_main_thread = threading.current_thread() is threading.main_thread()
    handlers = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)} if in_main_thread else {}
    try:
        connect(logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = f"the Ray cluster at {options.address}" if options.address else "a local Ray"
        raise EngineError(f"cannot start or reach {where}: {error}") from error
    finally:
        for number, handler in handlers.items():
            if handler is not None:
                signal.signal(number, handler)
    return True


def refuse_unreachable(address: str, *, timeout: float = 10.0) -> None:
    """Fail at once on a `host:port` (or `ray://host:port`) nothing answers at: `ray.init` would
    retry for minutes. Other forms (`auto`, a bare host) are left to Ray."""
    match = re.fullmatch(r"(?:ray://)?\[?([^\[\]/]+?)\]?:(\d+)", address)
    if not match:
        return
    try:
        socket.create_connection((match[1], int(match[2])), timeout=timeout).close()
    except OSError as error:
        raise EngineError(f"cannot reach the Ray cluster at {address}: {error.strerror or error}") from error


def _reason(error: BaseException) -> str:
    """The first line of the innermost cause, not Ray's whole remote traceback."""
    cause = error
    while getattr(cause, "cause", None) is not None and cause.cause is not cause:
        cause = cause.cause
    lines = [line for line in str(cause).splitlines() if line.strip()]
    return f"{type(cause).__name__}: {lines[-1] if lines else ''}".strip()
