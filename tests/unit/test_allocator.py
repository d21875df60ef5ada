"""api/allocator.py: a serving process caps glibc's malloc arenas (MALLOC_ARENAS, 2 by default); 0
leaves the default, and a libc without mallopt is not an error."""

from api import allocator
from settings import Settings


def test_the_default_caps_arenas_and_glibc_accepts_it():
    assert Settings().malloc_arenas == 2
    assert allocator.cap_malloc_arenas(Settings().malloc_arenas) is True  # this machine runs glibc


def test_zero_leaves_the_default_without_calling_malloc(monkeypatch):
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda *a: (_ for _ in ()).throw(AssertionError("called")))
    assert allocator.cap_malloc_arenas(0) is False


def test_a_libc_without_mallopt_is_left_alone(monkeypatch):
    class NoMallopt:
        def __init__(self, *args):
            pass
    monkeypatch.setattr(allocator.ctypes, "CDLL", NoMallopt)
    assert allocator.cap_malloc_arenas(2) is False
