"""An HTTP proxy on 127.0.0.1 that forwards to a real store and can lose an answer on the way back.

It models the worst moment for a purchase: the store has charged the card and answered, and the connection
breaks before the answer reaches the app. `lose_next(path)` makes the next request to `path` go through to the
store while the client gets a dropped connection; everything is recorded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


@dataclass
class Forwarded:
    method: str
    path: str
    idempotency_key: str | None
    status: int
    body: bytes
    lost: bool


class LossyProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.forwarded: list[Forwarded] = []
        self._lose: set[str] = set()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                with httpx.Client(timeout=30) as upstream:
                    answer = upstream.request(self.command, proxy.upstream + self.path, content=body, headers=headers)
                with proxy._lock:
                    lost = self.path in proxy._lose
                    proxy._lose.discard(self.path)
                    proxy.forwarded.append(
                        Forwarded(
                            self.command,
                            self.path,
                            self.headers.get("Idempotency-Key"),
                            answer.status_code,
                            answer.content,
                            lost,
                        )
                    )
                if lost:
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(answer.status_code)
                for name in ("Content-Type", "Retry-After"):
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_DELETE = _forward  # noqa: N815 - http.server's names

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # the dropped connections are the point

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def lose_next(self, path: str) -> None:
        with self._lock:
            self._lose.add(path)


@contextmanager
def lossy_proxy(upstream: str) -> Iterator[LossyProxy]:
    proxy = LossyProxy(upstream)
    thread = threading.Thread(target=proxy.httpd.serve_forever, name="lossy-proxy", daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.httpd.shutdown()
        proxy.httpd.server_close()
        thread.join(timeout=5)
