"""Running the store: uvicorn on a socket we bind ourselves, so port 0 works and the URL is known up front.

The socket is bound first (the free port becomes the store's public base URL, which goes into every .torrent and
magnet it serves), then uvicorn serves the app on it. Once uvicorn has started, the ready file receives
``{"url": ...}`` atomically (temp file, fsync, rename) — the desktop app starting the store as a child process
waits for it. SIGTERM and SIGINT shut down gracefully (uvicorn's handlers). Runs on the main thread.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
from pathlib import Path

import uvicorn

from storefront.app import create_app
from storefront.config import StoreConfig

log = logging.getLogger(__name__)


def bind_socket(host: str, port: int) -> socket.socket:
    # proto must be IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only when it sees TCP,
    # and without it every response waits ~40 ms (Nagle against the client's delayed ACK).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def write_ready_file(path: Path, url: str, *, workers: list[int] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump({"url": url, "pid": os.getpid(), **({"workers": workers} if workers else {})}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


class _ReadyServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, url: str, ready_file: Path | None) -> None:
        super().__init__(config)
        self._url = url
        self._ready_file = ready_file

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            log.info("Bundlecast store listening on %s", self._url)
            if self._ready_file is not None:
                write_ready_file(self._ready_file, self._url)


def _exit_cleanly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def serve(
    config: StoreConfig,
    *,
    host: str,
    port: int,
    ready_file: Path | None = None,
    public_url: str | None = None,
    workers: int = 1,
) -> None:
    sock = bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    url_host = f"[{host}]" if ":" in host else host
    url = f"http://{url_host}:{bound_port}"
    config = config.with_public_base_url(public_url or url)
    if workers > 1:
        from storefront.workers import serve_workers  # issue 13: N equal processes on one socket

        serve_workers(config, sock, url, ready_file, workers)
        return
    app = create_app(config)
    server = _ReadyServer(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5),
        url,
        ready_file,
    )
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal to the handler it found: make that
    # handler a normal exit, so a stopped store exits 0 rather than "killed by SIGTERM".
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)
