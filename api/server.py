"""Running the app under uvicorn with a graceful, load-balancer-friendly shutdown.

On SIGTERM (what Docker, Kubernetes and systemd send) the server does not stop at once: it starts
DRAINING, so /readyz answers 503 while everything else is still served, for SHUTDOWN_DRAIN_S
seconds (time for a load balancer's readiness probe to notice and stop routing here). Then uvicorn's
own graceful shutdown runs: it stops accepting connections, lets the requests in flight finish
(up to `timeout_graceful_shutdown`), and runs the app's lifespan shutdown. Ctrl+C (SIGINT) skips
the drain, as someone at a terminal expects, and a second signal during the drain stops at once.

With WORKERS > 1 (`serve_workers`), several such servers share one listening socket, each in its own
process: Python (HTTP, validation, ranking) holds one GIL per process, so one process uses at most
about one core for it however many threads it has. The parent only supervises: it forwards SIGTERM
and SIGINT to the workers (each drains as above) and restarts a worker that dies on its own.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from types import FrameType

import uvicorn
from fastapi import FastAPI

from api.logging_setup import configure_logging
from api.state import AppState
from settings import Settings

log = logging.getLogger("counsel_search")


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


def uvicorn_config(app: FastAPI | str, settings: Settings) -> uvicorn.Config:
    """JSON logs, no uvicorn access log (ours replaces it), a graceful shutdown longer than a search."""
    return uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None, access_log=False,
                          timeout_graceful_shutdown=max(30.0, settings.search_timeout_s * 2))


def serve(app: FastAPI, settings: Settings, sockets: list[socket.socket] | None = None) -> None:
    """Serve `app` on HOST:PORT (or on `sockets` already bound) with JSON logs and draining."""
    configure_logging()
    DrainingServer(uvicorn_config(app, settings), app.state.counsel, settings.shutdown_drain_s).run(sockets)


def serve_workers(settings: Settings, workers: int) -> None:
    """Run `workers` server processes on one socket bound here, until SIGTERM or SIGINT."""
    configure_logging()
    listening = uvicorn_config("api.main:app", settings).bind_socket()  # the parent loads no app, model or index
    context = multiprocessing.get_context("spawn")  # no fork: threads of numpy/ONNX must not be copied
    stopping = False

    def start() -> multiprocessing.process.BaseProcess:
        process = context.Process(target=_worker, args=(listening, settings), name="counsel-worker")
        process.start()
        return process

    def forward(sig: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, sig)

    processes = [start() for _ in range(workers)]
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    log.info("serving on %s:%d with %d worker processes", settings.host, settings.port, workers)
    while any(process.is_alive() for process in processes):
        time.sleep(0.2)
        for i, process in enumerate(processes):
            if not stopping and not process.is_alive():
                log.error("worker %s exited with code %s; starting a new one", process.pid, process.exitcode)
                processes[i] = start()
    listening.close()


def _worker(listening: socket.socket, settings: Settings) -> None:
    """One worker process: the parent's settings, its own model, index and app, serving the shared
    socket once its index is loaded (a loading worker would answer 503 to the clients the kernel gives it)."""
    from api.main import create_app

    serve(create_app(settings, load_before_serving=True), settings, [listening])
