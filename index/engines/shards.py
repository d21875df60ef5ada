"""Parquet shards of embedded vectors: how a long embedding run survives a crash.

Why: a distributed build of millions of texts runs for hours; a build killed half way must not
start over. Workers write each batch of vectors as one Parquet file (`key`: the hash of the
text, `vector`: float32) under a temporary name and rename it when complete, so a file with a
shard's name is always whole. A rerun reads the keys of the shards that are there and embeds only
the rest.

Shards are kept per model, not per build: a text's vector depends only on the text, the model and
its document graph (each text runs alone, so never on its batch), so a shard written for any
corpus is valid for any later build with the same model. Directory:

    <index-dir>/.shards/<model>-<digest of model, document backend, dimension>/<digest>-<texts>.parquet

The builder removes `.shards` once a build is current (index/layout.py).
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Collection, Mapping, Sequence

import numpy as np

from index.engines.base import Embedded, EngineError, MissingTexts

log = logging.getLogger(__name__)

SUFFIX = ".parquet"
BACKEND_METADATA = b"counsel.document_backend"


@dataclass(frozen=True)
class ShardPlan:
    """One shard still to write: its file name and the texts (with their keys) it will hold."""

    name: str
    keys: tuple[str, ...]
    texts: tuple[str, ...]


def work_key(model_name: str, document_backend: str, dimension: int) -> str:
    """The folder name of a model's shards: readable prefix, digest of everything a vector depends on."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model_name.rsplit("/", 1)[-1])[:48]
    digest = hashlib.sha1(f"{model_name}\n{document_backend}\n{dimension}".encode("utf-8")).hexdigest()[:16]
    return f"{slug}-{digest}"


def shard_name(keys: Sequence[str]) -> str:
    """A name that follows from the keys a shard holds, so the same plan always names the same files."""
    digest = hashlib.sha1("\n".join(keys).encode("utf-8")).hexdigest()[:20]
    return f"{digest}-{len(keys)}{SUFFIX}"


def plan_shards(keys: Sequence[str], texts: Sequence[str], *, done: Collection[str],
                texts_per_shard: int) -> list[ShardPlan]:
    """The shards to write for the keys not `done`, `texts_per_shard` each, in key order."""
    if texts_per_shard < 1:
        raise ValueError("texts_per_shard must be at least 1")
    todo = sorted({key: text for key, text in zip(keys, texts) if key not in done}.items())
    plans = []
    for start in range(0, len(todo), texts_per_shard):
        chunk = todo[start:start + texts_per_shard]
        chunk_keys = tuple(key for key, _ in chunk)
        plans.append(ShardPlan(shard_name(chunk_keys), chunk_keys, tuple(text for _, text in chunk)))
    return plans


# --- files (pyarrow is imported only here, and only when a sharded engine runs) -------------------

def write_shard(path: Path, keys: Sequence[str], vectors: np.ndarray, *, document_backend: str) -> Path:
    """Write one shard under a temporary name, then rename it: a file named `path` is always complete."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(vectors) != len(keys):
        raise ValueError(f"expected {len(keys)} vectors, got an array of shape {vectors.shape}")
    column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), pa.float32()), vectors.shape[1])
    table = pa.table({"key": pa.array(list(keys), pa.string()), "vector": column},
                     metadata={BACKEND_METADATA: document_backend.encode("utf-8")})
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "wb") as handle:
            pq.write_table(table, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def survey(directory: Path) -> dict[str, Path]:
    """Key -> shard holding its vector, over the complete shards in `directory`.

    Left-overs of a killed writer (temporary files) are removed; a shard that cannot be read
    (damaged on disk) is removed too, and its texts are embedded again.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    found: dict[str, Path] = {}
    if not directory.is_dir():
        return found
    for stale in directory.glob(".*.tmp"):
        stale.unlink(missing_ok=True)
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        try:
            keys = pq.read_table(path, columns=["key"]).column("key").to_pylist()
        except (OSError, pa.ArrowException) as error:
            log.warning("removing unreadable shard %s (%s); its texts are embedded again", path.name, error)
            path.unlink(missing_ok=True)
            continue
        found.update((key, path) for key in keys)
    return found


def read_vectors(locations: Mapping[str, Path], keys: Sequence[str], dimension: int) -> np.ndarray:
    """The vectors of `keys`, in their order, read from the shards `locations` names."""
    import pyarrow.parquet as pq

    out = np.empty((len(keys), dimension), dtype=np.float32)
    wanted: dict[Path, list[int]] = {}
    for row, key in enumerate(keys):
        wanted.setdefault(locations[key], []).append(row)
    for path, rows in wanted.items():
        table = pq.read_table(path)
        width = table.schema.field("vector").type.list_size
        if width != dimension:
            raise EngineError(f"shard {path} holds vectors of dimension {width}, the model gives {dimension}")
        vectors = np.asarray(table.column("vector").combine_chunks().flatten(), dtype=np.float32).reshape(-1, width)
        position = {key: i for i, key in enumerate(table.column("key").to_pylist())}
        for row in rows:
            out[row] = vectors[position[keys[row]]]
    return out


def embed_by_shards(directory: Path, missing: MissingTexts, dimension: int,
                    write_plans: Callable[[list[ShardPlan]], None], *, texts_per_shard: int) -> Embedded:
    """Resume-aware embedding: reuse the complete shards in `directory`, have `write_plans` write the
    rest (each plan to `directory / plan.name`), then read every vector back from the shards."""
    directory.mkdir(parents=True, exist_ok=True)
    before = survey(directory)
    plans = plan_shards(missing.keys, missing.texts, done=before.keys(), texts_per_shard=texts_per_shard)
    reused = [key for key in missing.keys if key in before]
    if plans:
        write_plans(plans)
    after = survey(directory) if plans else before
    absent = [key for key in missing.keys if key not in after]
    if absent:
        raise EngineError(f"{len(absent)} of {len(missing.keys)} texts have no vector in {directory} after the run")
    summary = {"shards_written": len(plans), "shards_reused": len({before[key] for key in reused}),
               "texts_reused": len(reused), "texts_per_shard": texts_per_shard}
    return Embedded(read_vectors(after, missing.keys, dimension), summary)
