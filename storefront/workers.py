"""``serve --workers N``: N equal store processes accepting on one listening socket (PostgreSQL for real use).

The parent binds the socket (so port 0 and the public URL are known up front), starts N worker processes (spawned,
not forked: no threads or pools are copied), each building its own app and database pool and serving the
inherited socket; the kernel hands each connection to one of them. Nothing is shared in memory: sessions,
idempotency keys, campaign closing and reconcile hold across workers because the database decides (row locks,
conditional updates, leases) — every worker runs the same housekeeping. The built-in tracker's peer table is per
process, so with several workers configure an external tracker (``BUNDLECAST_TRACKER_URL``, e.g. opentracker).
The ready file is written once every worker is listening, with their pids. SIGTERM/SIGINT stop all workers.
Runs on the main thread of the parent.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from multiprocessing.synchronize import Event
from pathlib import Path

import uvicorn
from starlette.requests import Request
from starlette.responses import Response

from storefront.config import StoreConfig

log = logging.getLogger(__name__)


class _WorkerServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, started: Event) -> None:
        super().__init__(config)
        self._started = started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._started.set()


def _worker(config: StoreConfig, sock: socket.socket, started: Event) -> None:
    from storefront.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s")
    app = create_app(config)
    worker = str(os.getpid())

    @app.middleware("http")
    async def name_the_worker(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers["X-Store-Worker"] = worker  # which process answered: for operators and the tests
        return response

    server = _WorkerServer(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"), started)
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    server.run(sockets=[sock])


def _stop_all(procs: list[multiprocessing.process.BaseProcess]) -> None:
    for proc in procs:
        if proc.exitcode is None and proc.pid is not None:
            proc.terminate()  # SIGTERM: uvicorn finishes its requests and stops
    for proc in procs:
        proc.join(15)
        if proc.exitcode is None:
            proc.kill()
            proc.join(5)


def serve_workers(config: StoreConfig, sock: socket.socket, url: str, ready_file: Path | None, count: int) -> None:
    from storefront.server import write_ready_file

    if config.is_sqlite:
        log.warning("%d workers on SQLite share one file's write lock; use PostgreSQL (DATABASE_URL) to scale", count)
    if not config.external_tracker_url:
        log.warning("%d workers each keep their own tracker peers; set BUNDLECAST_TRACKER_URL (opentracker)", count)
    context = multiprocessing.get_context("spawn")
    started = [context.Event() for _ in range(count)]
    procs: list[multiprocessing.process.BaseProcess] = [
        context.Process(target=_worker, args=(config, sock, event), name=f"store-worker-{i}", daemon=False)
        for i, event in enumerate(started)
    ]
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for proc in procs:
        proc.start()
    try:
        deadline = time.monotonic() + 120
        while not all(event.is_set() for event in started):
            if stopping or any(p.exitcode is not None for p in procs) or time.monotonic() > deadline:
                raise SystemExit("a store worker did not start; see the log above")
            time.sleep(0.05)
        log.info("Bundlecast store listening on %s with %d workers", url, count)
        if ready_file is not None:
            write_ready_file(ready_file, url, workers=[p.pid or 0 for p in procs])
        while not stopping and all(p.exitcode is None for p in procs):
            time.sleep(0.2)
    finally:
        _stop_all(procs)
        sock.close()
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)
