"""The index directory on disk: versions, the `current` pointer, the manifest and the build lock.

    <index_dir>/
        current -> versions/<version>      a symlink, switched atomically with os.replace
        versions/<version>/manifest.json   model, dimension, checksums, counts, format version
        versions/<version>/...             stores and metadata named in the manifest
        .build.lock                        held by the one build that may run
        .shards/<model key>/*.parquet      vectors a distributed build embedded so far (index/engines/);
                                           a rerun after a crash reuses them, a successful build removes them

A build writes a new version in a temporary folder, renames it into place and only then points
`current` at it, so a crash at any moment leaves the previous version whole and serving.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class IndexFormatError(RuntimeError):
    """An index is missing, damaged, incomplete, or built for another model or format."""


class BuildLockedError(RuntimeError):
    """Another build holds the lock on this index directory."""


@dataclass
class Manifest:
    version: str
    model: str
    dimension: int
    normalized: bool
    corpus_sha256: str
    answers: int
    questions: int
    passages: int
    passage_tokens: int
    built_at: str
    build_seconds: float
    files: dict[str, str] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    settings: dict = field(default_factory=dict)
    # Which runtime and weights made the vectors ("torch", or "onnx:<file>:<sha256 prefix>"); indexes
    # written before this field existed were all built with torch.
    embedding_backend: str = "torch"

    def write(self, directory: Path) -> None:
        _write_json_atomic(directory / MANIFEST, asdict(self))

    @classmethod
    def read(cls, directory: Path) -> "Manifest":
        path = directory / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IndexFormatError(f"{directory}: no {MANIFEST}; not an index, or an incomplete build") from None
        except (OSError, ValueError) as error:
            raise IndexFormatError(f"{path}: unreadable manifest ({error})") from error
        if data.get("format_version") != FORMAT_VERSION:
            raise IndexFormatError(f"{path}: index format {data.get('format_version')!r}, this program reads "
                                   f"{FORMAT_VERSION}; rebuild the index")
        try:
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except TypeError as error:
            raise IndexFormatError(f"{path}: manifest is missing fields ({error})") from error

    def verify_files(self, directory: Path) -> None:
        """Check every file the manifest names is present and unchanged."""
        for name, expected in self.files.items():
            path = directory / name
            if not path.is_file():
                raise IndexFormatError(f"{directory}: file {name} is missing; the index is incomplete")
            if sha256_of(path) != expected:
                raise IndexFormatError(f"{directory}: file {name} is damaged (checksum mismatch)")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json_atomic(path: Path, data) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def new_version_name() -> str:
    """A name that sorts by build time, to the microsecond: pruning and rollback go by this order,
    and builds (serialised by the lock) can finish within the same second."""
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now % 1 * 1_000_000):06d}Z"
    return stamp + "-" + uuid.uuid4().hex[:6]


def versions_dir(index_dir: Path) -> Path:
    return Path(index_dir) / "versions"


def shards_dir(index_dir: Path) -> Path:
    """Where a build's embedding engine may keep work that outlives a crash (index/engines/shards.py)."""
    return Path(index_dir) / ".shards"


def discard_shards(index_dir: Path) -> None:
    """Remove the engines' kept work: called once a build is current, when none of it is needed any more."""
    shutil.rmtree(shards_dir(index_dir), ignore_errors=True)


def current_version_dir(index_dir: Path) -> Path:
    """The folder `current` points at (or `index_dir` itself for a flat, unversioned index)."""
    index_dir = Path(index_dir)
    pointer = index_dir / "current"
    if pointer.is_symlink() or pointer.exists():
        target = pointer.resolve()
        if not target.is_dir():
            raise IndexFormatError(f"{pointer} points at {target}, which does not exist")
        return target
    if (index_dir / MANIFEST).is_file():
        return index_dir
    raise IndexFormatError(f"no index at {index_dir}: build one with "
                           f"`python scripts/build_index.py --index-dir {index_dir}`")


def list_versions(index_dir: Path) -> list[Path]:
    """Complete versions, oldest first (names sort by build time)."""
    root = versions_dir(index_dir)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file())


def switch_current(index_dir: Path, version_dir: Path) -> None:
    """Point `current` at `version_dir` atomically (a relative symlink renamed over the old one)."""
    index_dir = Path(index_dir)
    tmp = index_dir / f".current.{uuid.uuid4().hex}"
    os.symlink(os.path.relpath(version_dir, index_dir), tmp)
    os.replace(tmp, index_dir / "current")
    _fsync_dir(index_dir)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prune_versions(index_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` versions (never the current one) and stale temp folders."""
    current = None
    try:
        current = current_version_dir(index_dir)
    except IndexFormatError:
        pass
    removed = []
    versions = list_versions(index_dir)
    for old in versions[: max(0, len(versions) - keep)]:
        if current is not None and old.resolve() == current:
            continue
        shutil.rmtree(old, ignore_errors=True)
        removed.append(old)
    root = versions_dir(index_dir)
    for stale in root.glob(".tmp-*") if root.is_dir() else []:
        shutil.rmtree(stale, ignore_errors=True)
    return removed


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the index directory for the length of a build."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    handle = open(index_dir / ".build.lock", "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EACCES):
                raise BuildLockedError(f"another build is running on {index_dir} (lock {handle.name})") from None
            raise
        yield
    finally:
        handle.close()


def rollback(index_dir: Path) -> tuple[Path, Path]:
    """Point `current` back at the version built before it; return (left, now current).

    Taken under the build lock, so a rollback never races a build's own switch. The target is
    checked (manifest and file checksums) first: rolling back onto a damaged version would only
    trade one broken index for another.
    """
    index_dir = Path(index_dir)
    with build_lock(index_dir):
        current = current_version_dir(index_dir)
        earlier = [v for v in list_versions(index_dir) if v.name < current.name]
        if not earlier:
            raise IndexFormatError(f"no version older than {current.name} is kept in {versions_dir(index_dir)}; "
                                   f"nothing to roll back to")
        target = earlier[-1]
        Manifest.read(target).verify_files(target)
        switch_current(index_dir, target)
    return current, target
