"""Running the app under uvicorn with a graceful, load-balancer-friendly shutdown.

On SIGTERM (what Docker, Kubernetes and systemd send) the server does not stop at once: it starts
DRAINING, so /readyz answers 503 while everything else is still served, for SHUTDOWN_DRAIN_S
seconds (time for a load balancer's readiness probe to notice and stop routing here). Then uvicorn's
own graceful shutdown runs: it stops accepting connections, lets the requests in flight finish
(up to `timeout_graceful_shutdown`), and runs the app's lifespan shutdown. Ctrl+C (SIGINT) skips
the drain, as someone at a terminal expects, and a second signal during the drain stops at once.
"""
from __future__ import annotations

import signal
import time
from types import FrameType

import uvicorn
from fastapi import FastAPI

from api.logging_setup import configure_logging
from api.state import AppState
from settings import Settings


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, state: AppState, drain_seconds: float):
        super().__init__(config)
        self.state = state
        self.drain_seconds = drain_seconds
        self.drain_deadline: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGTERM and self.drain_deadline is None and self.drain_seconds > 0 and not self.should_exit:
            self._captured_signals.append(sig)  # re-raised after shutdown, as uvicorn does
            self.state.start_draining()
            self.drain_deadline = time.monotonic() + self.drain_seconds
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if self.drain_deadline is not None and time.monotonic() >= self.drain_deadline:
            self.should_exit = True
        return await super().on_tick(counter)


def serve(app: FastAPI, settings: Settings) -> None:
    """Serve `app` on HOST:PORT with JSON logs, no uvicorn access log (ours replaces it) and draining."""
    configure_logging()
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None, access_log=False,
                            timeout_graceful_shutdown=max(30.0, settings.search_timeout_s * 2))
    DrainingServer(config, app.state.counsel, settings.shutdown_drain_s).run()
