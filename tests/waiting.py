"""Polling for something another thread or process will do (a reload, a restarted worker)."""
import time


def wait_for(condition, timeout: float = 30.0, interval: float = 0.05) -> bool:
    """True as soon as `condition()` is, False if it is still not after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False
