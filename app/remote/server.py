"""Runs the remote API on its own thread with uvicorn, bound to 127.0.0.1 unless the user chose another address.

Why uvicorn + Starlette rather than ``http.server``: both are already dependencies (the embedded store runs on
them), uvicorn is a maintained, hardened HTTP/1.1 server whose one event loop serves slow clients without a thread
each, and the standard library's server is documented as not meant for exposure. ``RemoteServer.start`` returns
once the socket listens (``port`` is then known, even when 0 was asked for), ``stop`` ends it within a few seconds.

The server's own thread runs the event loop; engine calls run on Starlette's thread pool (see ``api``).
"""

from __future__ import annotations

import threading
import time

import uvicorn

from app.remote.api import RemoteApi

START_TIMEOUT_S = 15.0


class RemoteServerError(Exception):
    """The remote API could not start; the message says why."""


class RemoteServer:
    def __init__(self, api: RemoteApi, host: str = "127.0.0.1", port: int = 8080) -> None:
        self._api = api
        self.host = host
        self.port = port
        config = uvicorn.Config(api.app, host=host, port=port, log_level="warning", lifespan="off",
                                server_header=False, date_header=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="remote-api", daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RemoteServerError(f"The remote control could not listen on {self.host}:{self.port}.")
            time.sleep(0.02)
        sockets = [sock for server in self._server.servers for sock in server.sockets]
        self.port = int(sockets[0].getsockname()[1])
        names = {self.host, "localhost"} if self.host in ("127.0.0.1", "localhost") else {self.host}
        self._api.allowed_hosts = {f"{name}:{self.port}" for name in names}

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
