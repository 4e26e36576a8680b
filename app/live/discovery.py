"""Finding a live swarm's peers through the store's tracker: announce our overlay address every few seconds and hand
the peers the tracker answers to the node, which dials them.

``TrackerDiscovery`` announces (BEP 3 HTTP, compact peers of BEP 23) under ``swarm_info_hash(stream id)`` with the
node's overlay port, from the node's own address (the tracker records the address a request comes from, so each
peer on its own 127.x address is told apart), every ``interval_s`` seconds, and says goodbye (``event=stopped``) when
stopped. A tracker that refuses or cannot be reached is counted and retried on the next round; nothing it sends can
grow memory without bound (answers are capped, peers counted once). Runs on the node's asyncio loop; ``on_peers``
is called there and must not block.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote_from_bytes, urlsplit

from app.live.blocks import swarm_info_hash

log = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 64 * 1024  # 200 peers in compact form is 1.2 KB; anything far larger is not a tracker's answer
MAX_KNOWN_PEERS = 1024
_PEER_ID_PREFIX = b"-BCLIVE-"  # 8 bytes + 12 random: one id per discovery (a process may host several)

Peers = list[tuple[str, int]]


class TrackerAnswerError(Exception):
    """A tracker's answer we cannot use: its failure reason, or why the answer is not one."""


@dataclass(slots=True)
class DiscoveryStats:
    announces: int = 0
    failures: int = 0
    last_error: str | None = None
    last_peer_count: int = 0
    known: set[tuple[str, int]] = field(default_factory=set)


class TrackerDiscovery:
    def __init__(
        self,
        announce_url: str,
        stream_id: bytes,
        *,
        host: str,
        port: int,
        on_peers: Callable[[Peers], None],
        interval_s: float = 15.0,
        numwant: int = 50,
        timeout_s: float = 5.0,
    ) -> None:
        parts = urlsplit(announce_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"a tracker's announce URL is http(s)://host/…, not {announce_url!r}")
        self._url = parts
        self._info_hash = swarm_info_hash(stream_id)
        self._peer_id = _PEER_ID_PREFIX + secrets.token_bytes(12)
        self._host = host
        self._port = port
        self._on_peers = on_peers
        self._interval_s = max(0.5, interval_s)
        self._numwant = numwant
        self._timeout_s = timeout_s
        self._task: asyncio.Task[None] | None = None
        self.stats = DiscoveryStats()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        """Stop announcing and tell the tracker we left (best effort, bounded by the timeout)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
            self._task = None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._announce("stopped"), self._timeout_s)

    async def _loop(self) -> None:
        event = "started"
        while True:
            started = time.monotonic()
            try:
                peers = await asyncio.wait_for(self._announce(event), self._timeout_s)
            except (OSError, TimeoutError, TrackerAnswerError) as exc:
                self.stats.failures += 1
                self.stats.last_error = str(exc) or type(exc).__name__
                log.info("live tracker announce failed: %s", self.stats.last_error)
            else:
                event = ""
                self.stats.announces += 1
                self.stats.last_error = None
                self._learn(peers)
            await asyncio.sleep(max(0.0, self._interval_s - (time.monotonic() - started)))

    def _learn(self, peers: Peers) -> None:
        own = (self._host, self._port)
        fresh = [p for p in peers if p != own]
        self.stats.last_peer_count = len(fresh)
        if len(self.stats.known) < MAX_KNOWN_PEERS:
            self.stats.known.update(fresh[: MAX_KNOWN_PEERS - len(self.stats.known)])
        if fresh:
            self._on_peers(fresh)

    async def _announce(self, event: str) -> Peers:
        query = (
            f"info_hash={quote_from_bytes(self._info_hash)}&peer_id={quote_from_bytes(self._peer_id)}"
            f"&port={self._port}&uploaded=0&downloaded=0&left=1&compact=1&numwant={self._numwant}"
        )
        if event:
            query += f"&event={event}"
        path = self._url.path or "/announce"
        target = f"{path}?{self._url.query}&{query}" if self._url.query else f"{path}?{query}"
        body = await self._get(target)
        return parse_announce_answer(body)

    async def _get(self, target: str) -> bytes:
        hostname = self._url.hostname or ""
        https = self._url.scheme == "https"
        port = self._url.port or (443 if https else 80)
        reader, writer = await asyncio.open_connection(
            hostname,
            port,
            ssl=ssl.create_default_context() if https else None,
            local_addr=self._local_addr(hostname),
        )
        try:
            host_header = self._url.netloc.rpartition("@")[2]
            writer.write(
                f"GET {target} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: Bundlecast-live\r\n"
                "Accept-Encoding: identity\r\nConnection: close\r\n\r\n".encode("ascii")
            )
            await writer.drain()
            raw = await reader.read(MAX_ANSWER_BYTES + 1)
            while len(raw) <= MAX_ANSWER_BYTES and (more := await reader.read(MAX_ANSWER_BYTES + 1 - len(raw))):
                raw += more
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        if len(raw) > MAX_ANSWER_BYTES:
            raise TrackerAnswerError("the tracker's answer is too large")
        return http_body(raw)

    def _local_addr(self, tracker_host: str) -> tuple[str, int] | None:
        """Announce from the node's own address when it is an address of the tracker's family (so the tracker
        records the address peers can dial); a wildcard or a name leaves the choice to the system."""
        try:
            ours, theirs = ipaddress.ip_address(self._host), ipaddress.ip_address(tracker_host)
        except ValueError:
            return None
        if ours.is_unspecified or ours.version != theirs.version:
            return None
        return (self._host, 0)


def http_body(raw: bytes) -> bytes:
    """The body of an HTTP/1.x answer read to its end; ``TrackerAnswerError`` unless the status is 200."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise TrackerAnswerError("the tracker's answer ended early")
    lines = head.split(b"\r\n")
    status = lines[0].split(b" ", 2)
    if len(status) < 2 or not status[0].startswith(b"HTTP/1.") or status[1] != b"200":
        raise TrackerAnswerError(f"the tracker answered {lines[0][:60].decode('latin-1')!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    if headers.get(b"transfer-encoding") == b"chunked":
        return _unchunk(body)
    if b"content-length" in headers:
        length = int(headers[b"content-length"])
        if len(body) < length:
            raise TrackerAnswerError("the tracker's answer ended early")
        return body[:length]
    return body


def _unchunk(data: bytes) -> bytes:
    out = bytearray()
    while True:
        size_line, sep, data = data.partition(b"\r\n")
        if not sep:
            raise TrackerAnswerError("the tracker's chunked answer ended early")
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError as exc:
            raise TrackerAnswerError("the tracker's chunked answer is malformed") from exc
        if size == 0:
            return bytes(out)
        if len(data) < size + 2:
            raise TrackerAnswerError("the tracker's chunked answer ended early")
        out += data[:size]
        data = data[size + 2 :]


def parse_announce_answer(body: bytes) -> Peers:
    """The peers of a bencoded announce answer (compact ``peers``/``peers6`` or a list of dicts)."""
    answer, end = _bdecode(body, 0, depth=0)
    if end != len(body) or not isinstance(answer, dict):
        raise TrackerAnswerError("the tracker's answer is not a bencoded dictionary")
    if b"failure reason" in answer:
        reason = answer[b"failure reason"]
        raise TrackerAnswerError(
            f"the tracker refused: {reason.decode('utf-8', 'replace') if isinstance(reason, bytes) else reason}"
        )
    peers: Peers = []
    listed = answer.get(b"peers", b"")
    if isinstance(listed, bytes):
        peers += _compact(listed, 4)
    elif isinstance(listed, list):
        for entry in listed:
            if isinstance(entry, dict) and isinstance(entry.get(b"ip"), bytes) and isinstance(entry.get(b"port"), int):
                peers.append((entry[b"ip"].decode("ascii", "replace"), entry[b"port"]))
    if isinstance(answer.get(b"peers6"), bytes):
        peers += _compact(answer[b"peers6"], 16)
    return [(host, port) for host, port in peers if 0 < port < 65536]


def _compact(data: bytes, size: int) -> Peers:
    step = size + 2
    return [
        (str(ipaddress.ip_address(data[i : i + size])), int.from_bytes(data[i + size : i + step], "big"))
        for i in range(0, len(data) - step + 1, step)
    ]


def _bdecode(data: bytes, at: int, depth: int) -> tuple[object, int]:
    """A bounded bencode reader for tracker answers (ints, strings, lists, dicts)."""
    if depth > 8 or at >= len(data):
        raise TrackerAnswerError("the tracker's answer is not bencoded")
    lead = data[at : at + 1]
    if lead == b"i":
        end = data.find(b"e", at)
        try:
            return int(data[at + 1 : end]), end + 1
        except ValueError as exc:
            raise TrackerAnswerError("the tracker's answer is not bencoded") from exc
    if lead in (b"l", b"d"):
        items: list[object] = []
        at += 1
        while data[at : at + 1] != b"e":
            item, at = _bdecode(data, at, depth + 1)
            items.append(item)
        if lead == b"l":
            return items, at + 1
        if len(items) % 2 or not all(isinstance(k, bytes) for k in items[::2]):
            raise TrackerAnswerError("the tracker's answer is not bencoded")
        return dict(zip(items[::2], items[1::2], strict=True)), at + 1
    colon = data.find(b":", at)
    if colon < 0 or not data[at:colon].isdigit():
        raise TrackerAnswerError("the tracker's answer is not bencoded")
    start = colon + 1
    end = start + int(data[at:colon])
    if end > len(data):
        raise TrackerAnswerError("the tracker's answer ended early")
    return data[start:end], end
