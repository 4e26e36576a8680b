"""Announcing a live node to the store's tracker, so viewers find it: the stream's swarm is the info-hash
``swarm_info_hash(stream id)``, the port is the node's overlay port (BEP 3 HTTP announce, compact answers). The
origin announces as a seeder, a viewer as a peer that wants blocks (``left`` 0 and 1).

``SwarmAnnouncer.run`` announces ``started`` at once, again at the interval the tracker asks for (bounded to
15 s … 5 min), and ``stopped`` when the stop event is set. Its requests leave from the node's own address (the
tracker records the address a request comes from, never one the client claims). ``announce_once`` is one request,
returning the peers the tracker gave. A tracker that cannot be reached is reported (``last_error``) and retried at
the next interval; it never stops the broadcast. Runs on the node's asyncio loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
from urllib.parse import quote_from_bytes, urlencode, urlsplit

from app.live.blocks import swarm_info_hash

MIN_INTERVAL_S, MAX_INTERVAL_S = 15.0, 300.0
MAX_ANSWER = 64 * 1024
_TIMEOUT_S = 10.0

Peer = tuple[str, int]


class TrackerError(Exception):
    """The tracker refused the announce or answered something that is not a tracker's answer."""


def bdecode(data: bytes) -> object:
    """A bencoded value (BEP 3): int, bytes, list or dict with bytes keys. ``TrackerError`` when malformed."""
    try:
        value, end = _decode(data, 0)
    except (IndexError, ValueError) as exc:
        raise TrackerError("the tracker's answer is not bencoded") from exc
    if end != len(data):
        raise TrackerError("the tracker's answer has bytes after its end")
    return value


def _decode(data: bytes, at: int) -> tuple[object, int]:
    head = data[at : at + 1]
    if head == b"i":
        end = data.index(b"e", at)
        return int(data[at + 1 : end]), end + 1
    if head in (b"l", b"d"):
        items: list[object] = []
        at += 1
        while data[at : at + 1] != b"e":
            item, at = _decode(data, at)
            items.append(item)
        if head == b"l":
            return items, at + 1
        if len(items) % 2:
            raise ValueError("a dict with a key and no value")
        return {items[i]: items[i + 1] for i in range(0, len(items), 2)}, at + 1
    colon = data.index(b":", at)
    length = int(data[at:colon])
    if length < 0 or colon + 1 + length > len(data):
        raise ValueError("a string past the end")
    return data[colon + 1 : colon + 1 + length], colon + 1 + length


def _compact_peers(raw: object) -> list[Peer]:
    if not isinstance(raw, bytes):
        return []
    return [
        (str(ipaddress.IPv4Address(raw[i : i + 4])), int.from_bytes(raw[i + 4 : i + 6], "big"))
        for i in range(0, len(raw) - len(raw) % 6, 6)
    ]


class SwarmAnnouncer:
    def __init__(
        self, tracker_url: str, stream_id: bytes, port: int, local_host: str | None = None, *, origin: bool = False
    ) -> None:
        parts = urlsplit(tracker_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise TrackerError(f"{tracker_url} is not an http tracker")
        self._url = tracker_url
        self._info_hash = swarm_info_hash(stream_id)
        self._peer_id = b"-BCL001-" + os.urandom(6).hex().encode()
        self._port = port
        # The origin announces as a seeder (left=0: the tracker hands it viewers only); a viewer as a peer that
        # still wants blocks (left=1: a live stream never completes), so viewers are given each other and the origin.
        self._left = 0 if origin else 1
        self._local_host = local_host if local_host not in (None, "0.0.0.0", "::") else None  # noqa: S104
        self.announces = 0
        self.interval_s = 60.0
        self.last_error: str | None = None

    async def announce_once(self, event: str = "") -> list[Peer]:
        """One announce; the peers the tracker listed (compact IPv4). ``TrackerError`` or ``OSError`` on failure."""
        query = {"peer_id": self._peer_id, "port": self._port, "uploaded": 0, "downloaded": 0, "left": self._left,
                 "compact": 1, "numwant": 50}  # fmt: skip
        if event:
            query["event"] = event
        separator = "&" if "?" in self._url else "?"
        url = f"{self._url}{separator}info_hash={quote_from_bytes(self._info_hash)}&{urlencode(query)}"
        async with asyncio.timeout(_TIMEOUT_S):
            body = await self._get(url)
        answer = bdecode(body)
        if not isinstance(answer, dict):
            raise TrackerError("the tracker's answer is not a dictionary")
        failure = answer.get(b"failure reason")
        if isinstance(failure, bytes):
            raise TrackerError(failure.decode("utf-8", "replace"))
        interval = answer.get(b"interval")
        if isinstance(interval, int):
            self.interval_s = min(MAX_INTERVAL_S, max(MIN_INTERVAL_S, float(interval)))
        self.announces += 1
        self.last_error = None
        return _compact_peers(answer.get(b"peers"))

    async def run(self, stop: asyncio.Event) -> None:
        """Announce until ``stop`` is set, then say ``stopped`` (bounded: a gone tracker never holds the exit)."""
        event = "started"
        while not stop.is_set():
            try:
                await self.announce_once(event)
                event = ""
            except (TrackerError, OSError, TimeoutError) as exc:
                self.last_error = str(exc) or type(exc).__name__
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)
        with contextlib.suppress(TrackerError, OSError, TimeoutError):
            await self.announce_once("stopped")

    async def _get(self, url: str) -> bytes:
        parts = urlsplit(url)
        assert parts.hostname is not None
        local = (self._local_host, 0) if self._local_host else None
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80, local_addr=local)
        try:
            target = f"{parts.path or '/'}?{parts.query}"
            writer.write(f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b"\r\n", 1)[0]
            if b" 200 " not in status + b" ":
                raise TrackerError(f"the tracker answered {status.decode('latin-1')}")
            body = bytearray()
            while chunk := await reader.read(16 * 1024):
                body += chunk
                if len(body) > MAX_ANSWER:
                    raise TrackerError("the tracker's answer is too long")
            try:
                return _dechunk(head, bytes(body))
            except (ValueError, IndexError) as exc:
                raise TrackerError("the tracker's answer is cut short") from exc
        finally:
            writer.close()


def _dechunk(head: bytes, body: bytes) -> bytes:
    if b"transfer-encoding: chunked" not in head.lower():
        return body
    out, at = bytearray(), 0
    while True:
        line_end = body.index(b"\r\n", at)
        size = int(body[at:line_end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += body[line_end + 2 : line_end + 2 + size]
        at = line_end + 2 + size + 2
