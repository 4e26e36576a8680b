"""The loopback stream server: serves registered byte sources to the player over HTTP on 127.0.0.1.

Every URL carries the session's random token (``/<token>/<file id>``), compared in constant time; a request
without it gets 403 and no byte. HTTP Range is honoured (206, and 416 past the end). A body is written as the
source's reader yields bytes — libvlc asks for 16 MiB on its first read (FIELD-NOTES), so it gets the verified
bytes there are, then more as pieces arrive, never a wait for the whole range. The newest request of a file
wins: opening a reader for a file closes the older readers of that same file, which ends their responses and
gives the engine's piece picking to the new position.

A source of ``UNKNOWN_SIZE`` (a live broadcast, ``app.player.live_source``) is served as one progressive body with
no length and no ranges, closed when the source ends.

Runs its own accept thread plus one thread per request (``ThreadingHTTPServer``); never touches the UI.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from app.engine.errors import EngineError
from app.player.errors import StreamServerError
from app.player.live_source import UNKNOWN_SIZE
from app.player.sources import ByteReader, ByteSource

log = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_FILE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")

# Called with (file id, offset, bytes) for every block written to a client: diagnostics and tests.
SendTap = Callable[[str, int, bytes], None]


@dataclass(frozen=True, slots=True)
class ByteSpan:
    """The part of a file one response carries: [start, end)."""

    start: int
    end: int


class RangeNotSatisfiable(Exception):  # noqa: N818 - named after the HTTP status it maps to
    """A Range that starts at or past the end of the file."""


def parse_range(header: str | None, size: int) -> ByteSpan | None:
    """The span a ``Range`` header asks for; None for the whole file (absent or unparseable header).

    Multiple ranges are not supported and are answered with the whole file, as RFC 9110 allows.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if first == "":
        if last == "":
            return None
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiable
        return ByteSpan(max(0, size - suffix), size)
    start = int(first)
    if start >= size:
        raise RangeNotSatisfiable
    end = size if last == "" else min(int(last) + 1, size)
    if end <= start:
        return None
    return ByteSpan(start, end)


class _Registry:
    """Sources by file id and the readers open on each; shared by the request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sources: dict[str, ByteSource] = {}
        self._readers: dict[str, list[ByteReader]] = {}
        self._sent: dict[str, int] = {}

    def register(self, file_id: str, source: ByteSource) -> None:
        with self._lock:
            self._sources[file_id] = source

    def unregister(self, file_id: str) -> None:
        with self._lock:
            self._sources.pop(file_id, None)
            readers = self._readers.pop(file_id, [])
        for reader in readers:
            reader.close()

    def source(self, file_id: str) -> ByteSource | None:
        with self._lock:
            return self._sources.get(file_id)

    def open_newest(self, file_id: str, source: ByteSource, offset: int) -> ByteReader:
        """Close every older reader of the file, then open one at ``offset`` (newest request wins).

        Closing first matters: the engine gives a torrent's picking back when its last stream closes, so the
        old read window stops competing with the new one (seen at 2x bitrate: old-window pieces kept arriving
        between the pieces a seek waited for).
        """
        with self._lock:
            older = self._readers.pop(file_id, [])
        for old in older:
            old.close()
        reader = source.open_at(offset)
        with self._lock:
            self._readers.setdefault(file_id, []).append(reader)
        return reader

    def release(self, file_id: str, reader: ByteReader) -> None:
        with self._lock:
            readers = self._readers.get(file_id, [])
            if reader in readers:
                readers.remove(reader)
        reader.close()

    def count_sent(self, file_id: str, n: int) -> None:
        with self._lock:
            self._sent[file_id] = self._sent.get(file_id, 0) + n

    def sent(self, file_id: str) -> int:
        with self._lock:
            return self._sent.get(file_id, 0)

    def close_all(self) -> None:
        with self._lock:
            readers = [r for rs in self._readers.values() for r in rs]
            self._readers.clear()
        for reader in readers:
            reader.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line holds the token: never log it.
        log.debug("stream server: %s", self.command)

    def _serve(self, *, with_body: bool) -> None:
        file_id = self._authorised_file_id()
        if file_id is None:
            self._send_empty(HTTPStatus.FORBIDDEN)
            return
        source = self.server.registry.source(file_id)
        if source is None:
            self._send_empty(HTTPStatus.NOT_FOUND)
            return
        size = source.size
        if size == UNKNOWN_SIZE:
            self._serve_live(file_id, source, with_body=with_body)
            return
        try:
            span = parse_range(self.headers.get("Range"), size)
        except RangeNotSatisfiable:
            self._send_empty(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, {"Content-Range": f"bytes */{size}"})
            return
        partial = span is not None
        span = span or ByteSpan(0, size)
        reader = None
        if with_body and span.end > span.start:
            try:  # before the headers, so a torrent that is gone gets a status, not an empty 200
                reader = self.server.registry.open_newest(file_id, source, span.start)
            except EngineError as error:
                log.warning("stream server: cannot open %s: %s", file_id, error)
                self._send_empty(HTTPStatus.SERVICE_UNAVAILABLE)
                return
        try:
            self.send_response(HTTPStatus.PARTIAL_CONTENT if partial else HTTPStatus.OK)
            self.send_header("Content-Type", source.content_type)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(span.end - span.start))
            self.send_header("Cache-Control", "no-store")
            if partial:
                self.send_header("Content-Range", f"bytes {span.start}-{span.end - 1}/{size}")
            self.end_headers()
        except OSError:  # the client left before the headers went out
            if reader is not None:
                self.server.registry.release(file_id, reader)
            raise
        if reader is not None:
            self._send_body(file_id, reader, span)

    def _serve_live(self, file_id: str, source: ByteSource, *, with_body: bool) -> None:
        """An endless source (live TS): 200, no length, no ranges; the body ends when the source or client does."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", source.content_type)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if with_body:
            reader = self.server.registry.open_newest(file_id, source, 0)
            self._send_body(file_id, reader, ByteSpan(0, 1 << 62))

    def _authorised_file_id(self) -> str | None:
        parts = self.path.split("?", 1)[0].split("/")
        if len(parts) != 3 or parts[0] != "":
            return None
        token, file_id = parts[1], parts[2]
        if not hmac.compare_digest(token.encode(), self.server.token.encode()):
            return None
        return file_id if _FILE_ID.match(file_id) else None

    def _send_body(self, file_id: str, reader: ByteReader, span: ByteSpan) -> None:
        registry = self.server.registry
        position = span.start
        try:
            while position < span.end:
                data = reader.read(min(CHUNK_SIZE, span.end - position))
                if not data:
                    break
                self.wfile.write(data)
                registry.count_sent(file_id, len(data))
                if self.server.tap is not None:
                    self.server.tap(file_id, position, data)
                position += len(data)
        except (EngineError, OSError) as error:
            # A newer request closed this reader, the client went away, or the swarm timed out.
            log.debug("stream server: response for %s ended at %d: %s", file_id, position, type(error).__name__)
        finally:
            registry.release(file_id, reader)
            if position < span.end:
                self.close_connection = True

    def _send_empty(self, status: HTTPStatus, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Drop a half-finished response at shutdown rather than wait for a reader blocked on the swarm.
    block_on_close = False

    def __init__(self, address: tuple[str, int], token: str, registry: _Registry, tap: SendTap | None) -> None:
        super().__init__(address, _Handler)
        self.token = token
        self.registry = registry
        self.tap = tap


class StreamServer:
    """The player's HTTP server on 127.0.0.1, a random port and a random token per session."""

    def __init__(self, *, host: str = "127.0.0.1", tap: SendTap | None = None) -> None:
        if not host.startswith("127."):
            raise StreamServerError("The stream server only listens on the loopback interface.")
        self._host = host
        self._tap = tap
        self._token = secrets.token_urlsafe(32)
        self._registry = _Registry()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind a free port and serve on a background thread."""
        try:
            self._server = _Server((self._host, 0), self._token, self._registry, self._tap)
        except OSError as error:
            log.warning("stream server cannot bind: %s", error)
            raise StreamServerError("The player could not start: this computer refused it a local port.") from error
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="stream-server", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, wake every blocked reader, and close the port."""
        self._registry.close_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise StreamServerError("The stream server is not running.")
        return int(self._server.server_address[1])

    def register(self, file_id: str, source: ByteSource) -> str:
        """Serve ``source`` as ``file_id`` and return its URL (with the session token)."""
        if not _FILE_ID.match(file_id):
            raise StreamServerError(f"The player cannot serve a file named “{file_id}”.")
        self._registry.register(file_id, source)
        return f"http://{self._host}:{self.port}/{self._token}/{file_id}"

    def unregister(self, file_id: str) -> None:
        """Stop serving ``file_id`` and end its open responses."""
        self._registry.unregister(file_id)

    def bytes_sent(self, file_id: str) -> int:
        """How many body bytes of ``file_id`` were written to clients so far."""
        return self._registry.sent(file_id)
