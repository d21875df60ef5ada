"""Numpy arrays on disk that every worker maps read-only instead of loading.

An index version is immutable once written, so its arrays can be mapped (`np.load(mmap_mode="r")`):
the OS shares the pages between worker processes and reads only the ones a query touches. These two
helpers keep the details in one place: writing fsyncs (a version is switched to only when complete),
and an empty array is read plainly (a zero-length mapping is an error on Linux).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def save_array(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, np.ascontiguousarray(array), allow_pickle=False)
        handle.flush()
        os.fsync(handle.fileno())


def open_array(path: Path) -> np.ndarray:
    """The array in `path`, mapped read-only (read plainly when it holds no element)."""
    with open(path, "rb") as handle:
        version = np.lib.format.read_magic(handle)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, _ = read_header(handle)
    if not int(np.prod(shape)):
        return np.load(path, allow_pickle=False)
    # a plain ndarray over the mapping: np.memmap's Python-level hooks cost microseconds per indexing
    return np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)
