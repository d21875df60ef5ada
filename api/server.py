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

What uvicorn refuses before the app sees it (a URL over 64 KiB, bytes that are not HTTP) is answered
in the app's JSON error shape too (`JsonErrorsProtocol`), not as uvicorn's text/plain 400.
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
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.logging_setup import configure_logging
from api.models import ErrorResponse
from api.state import AppState
from settings import Settings

log = logging.getLogger("counsel_search")

#: The longest URL httptools can split into path and query (its offsets are 16-bit); uvicorn itself
#: answered a longer one with a text/plain 400 before the app saw it.
MAX_URL_BYTES = 65_535
LINGER_SECONDS = 2.0  # how long a refused connection is read (and dropped) before it is closed


class UrlTooLong(Exception):
    """Raised inside the parser's URL callback to stop reading a request whose URL is over the limit."""


class JsonErrorsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, answering the requests it refuses before the app (a URL over
    MAX_URL_BYTES: 414; bytes that are not HTTP: 400) with the app's JSON error shape instead of
    text/plain. `uvicorn api.main:app --http api.server:JsonErrorsProtocol` uses it too."""

    url_too_long = False
    refused = False

    def data_received(self, data: bytes) -> None:
        if self.refused:  # the rest of a refused request is read and dropped, so the client reads the answer
            return
        super().data_received(data)

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > MAX_URL_BYTES:  # stop before buffering more of it
            self.url_too_long = True
            raise UrlTooLong

    def send_400_response(self, msg: str) -> None:  # uvicorn calls it for every request it cannot parse
        if self.url_too_long:
            status, reason = 414, b"URI Too Long"
            detail = (f"the URL is longer than {MAX_URL_BYTES:,} bytes; send a long query in the body "
                      "of POST /v1/search")
        else:
            status, reason, detail = 400, b"Bad Request", "the request is not valid HTTP/1.1"
        body = ErrorResponse(detail=detail).model_dump_json().encode("utf-8")
        head = [b"HTTP/1.1 %d %s\r\n" % (status, reason)]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head += [b"content-type: application/json\r\n", b"content-length: %d\r\n" % len(body),
                 b"connection: close\r\n\r\n"]
        self.transport.write(b"".join(head) + body)
        # Closing at once would reset a connection whose client is still sending the rest of a long URL,
        # and it would never read the answer: end our side, drop what still comes, close a little later.
        self.refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


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
    """JSON logs, no uvicorn access log (ours replaces it), JSON errors for what uvicorn refuses itself,
    a graceful shutdown longer than a search."""
    return uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None, access_log=False,
                          http=JsonErrorsProtocol, timeout_graceful_shutdown=max(30.0, settings.search_timeout_s * 2))


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
