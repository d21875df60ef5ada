"""How many malloc arenas a serving process may have: glibc's default wastes memory on idle threads.

glibc gives a thread that meets a locked arena a new one, up to 8 per core: a server with a pool of
search threads, the encode batcher's thread, ONNX Runtime's and the large-index source pool ends up
with a dozen arenas, each keeping what its thread once freed (measured on the 1M-answer index:
anonymous RSS 814 -> 637 MiB with 2 arenas, at the same speed; benchmarks/README.md). The cap is
set once, when the app starts serving, before its threads allocate; `MALLOC_ARENAS=0` leaves
glibc's default. Elsewhere (musl, macOS) there is nothing to cap and this does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("counsel_search")

M_ARENA_MAX = -8  # <malloc.h>


def cap_malloc_arenas(count: int) -> bool:
    """Let this process's malloc use at most `count` arenas (0: leave the default); True if it applied."""
    if count <= 0:
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or None).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    applied = mallopt(M_ARENA_MAX, count) == 1
    if not applied:
        log.warning("could not cap malloc arenas at %d; glibc's default stays", count)
    return applied
