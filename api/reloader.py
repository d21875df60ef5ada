"""Keeping the running API on the index version that `current` points at, without dropping a request.

A scheduled build writes a new version and switches the index directory's `current` pointer; this
module notices (a poll every RELOAD_POLL_SECONDS, or POST /v1/admin/reload), loads that version in
a background thread while the old one keeps serving, and swaps it in with one assignment
(`SearchService.swap`): requests already running finish on the index they started with. A version
that fails to load (damaged, incomplete, another model) is refused: the error goes to the log,
/readyz and /v1/index, the old version keeps serving, and the poll does not retry it until
`current` moves again (an admin reload does).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from api.state import AppState
from api.wiring import vector_backend
from index.layout import IndexFormatError, current_version_dir
from index.loader import load_index

log = logging.getLogger("counsel_search")

ReloadStatus = Literal["swapped", "unchanged", "refused", "loading", "started", "running"]


@dataclass
class ReloadOutcome:
    status: ReloadStatus
    serving_version: str | None
    target_version: str | None = None
    detail: str | None = None


class IndexReloader:
    """Watches one index directory and swaps new versions into one app's search service."""

    def __init__(self, state: AppState, poll_seconds: float):
        self.state = state
        self.poll_seconds = poll_seconds
        self.last_checked_at: str | None = None
        self.last_reload_at: str | None = None
        self._refused: Path | None = None  # the version last refused, not retried by the poll
        self._reload_lock = threading.Lock()  # one load at a time
        self._trigger_lock = threading.Lock()  # starting the background thread, never held during a load
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self._background: threading.Thread | None = None

    # --- lifecycle (the app's lifespan) ---------------------------------------------------------
    def start(self) -> None:
        """Start polling `current` (nothing to start when RELOAD_POLL_SECONDS is 0)."""
        self._stop.clear()
        if self.poll_seconds > 0 and self._poller is None:
            self._poller = threading.Thread(target=self._poll, name="index-reloader", daemon=True)
            self._poller.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop polling and wait (bounded) for a load in progress, so shutdown leaves no thread behind."""
        self._stop.set()
        for thread in (self._poller, self._background):
            if thread is not None and thread.is_alive():
                thread.join(timeout)
        self._poller = None

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.reload(force=False)
            except Exception:  # the watcher must outlive any one bad check
                log.exception("index reload check failed")

    # --- reloading ------------------------------------------------------------------------------
    def reload_in_background(self) -> ReloadOutcome:
        """Start a forced reload in a thread and return at once ("started", or "running" if one is)."""
        with self._trigger_lock:
            if self._background is not None and self._background.is_alive():
                return ReloadOutcome("running", self._serving_version())
            self._background = threading.Thread(target=self._reload_logged, name="index-reload", daemon=True)
            self._background.start()
        return ReloadOutcome("started", self._serving_version())

    def _reload_logged(self) -> None:
        try:
            self.reload(force=True)
        except Exception:
            log.exception("index reload failed")

    def reload(self, force: bool = True) -> ReloadOutcome:
        """Load the version `current` points at and serve it, unless it is already served.

        `force=False` (the poll) skips a version already refused; `force=True` (an operator) tries again.
        """
        with self._reload_lock:
            self.last_checked_at = _now()
            if self.state.service is None:
                return self._first_load()
            serving = self.state.service.index
            try:
                target = current_version_dir(self.state.settings.index_dir)
            except IndexFormatError as error:
                return self._refuse(None, f"cannot follow the index pointer: {error}")
            if target == serving.path:  # also after a rollback onto the serving version: nothing pending
                self._refused = self.state.reload_error = None
                return ReloadOutcome("unchanged", serving.manifest.version, target.name)
            if target == self._refused and not force:
                return ReloadOutcome("refused", serving.manifest.version, target.name, self.state.reload_error)
            started = time.perf_counter()
            try:
                index = load_index(target, expected_model=self.state.service.embedder.name,
                                   vector_backend=vector_backend(self.state.settings))
                self.state.service.swap(index)
            except (IndexFormatError, OSError, ValueError, RuntimeError) as error:
                return self._refuse(target, str(error))
            self._refused, self.state.reload_error, self.last_reload_at = None, None, _now()
            self.state.metrics.record_reload(succeeded=True)
            log.info("now serving index version %s (was %s; loaded in %.1f s)", index.manifest.version,
                     serving.manifest.version, time.perf_counter() - started)
            return ReloadOutcome("swapped", index.manifest.version, target.name)

    def _first_load(self) -> ReloadOutcome:
        """No index is serving yet: once one exists, load model and index as start-up would."""
        if self.state.status == "loading":
            return ReloadOutcome("loading", None, detail="the first load is still running")
        try:
            target = current_version_dir(self.state.settings.index_dir)
        except IndexFormatError as error:
            return ReloadOutcome("unchanged", None, None, str(error))
        self.state.load()
        if self.state.service is None:
            self.state.metrics.record_reload(succeeded=False)
            return ReloadOutcome("refused", None, target.name, self.state.detail)
        self.last_reload_at = _now()
        self.state.metrics.record_reload(succeeded=True)
        return ReloadOutcome("swapped", self.state.service.index.manifest.version, target.name)

    def _refuse(self, target: Path | None, reason: str) -> ReloadOutcome:
        """Keep serving the old version; say why in the log (once per new reason), /readyz and /v1/index."""
        serving = self._serving_version()
        name = target.name if target is not None else None
        message = f"index version {name} refused, still serving {serving}: {reason}" if name else reason
        if target is not None or message != self.state.reload_error:
            log.error("%s", message)
            self.state.metrics.record_reload(succeeded=False)
        self._refused, self.state.reload_error = target, message
        return ReloadOutcome("refused", serving, name, message)

    def _serving_version(self) -> str | None:
        service = self.state.service
        return service.index.manifest.version if service is not None else None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
