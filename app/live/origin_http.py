"""The origin's HTTP side: the last resort for a block still missing near its play-out deadline.

``OriginHttpServer`` answers ``GET /live/<stream id>/block/<seq>`` with a held block's signed bytes and ``GET
/live/<stream id>/head`` with the newest sequence number (how a viewer with no peer yet learns where the stream is).
Responses pass the origin's uplink (its upload cap counts them) and the emulated link. A block answer is second priority
on the uplink and leaves in ``CHUNK``-sized pieces, each only when the stripe pushes leave the uplink idle — so an
answer under way delays the next push by one piece, not by a whole block (the stripe roots' first hop is every viewer's
delay) — and only while it can still reach the viewer before the ``by`` time it asked for: an answer that would arrive
after the viewer gave up is not sent at all (at 20 viewers the origin uploaded nearly two copies of each block while no
HTTP answer was a block's first copy). One request per connection keeps it small. ``fetch_block`` / ``fetch_head`` are
the viewer's client (asyncio streams, bounded in size and time); the viewer verifies what comes back like any peer's
block. Runs on the node's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from app.live.block_store import BlockStore
from app.live.blocks import MAX_BLOCK_SIZE
from app.live.link import LinkProfile, Uplink

_MAX_HEAD = 8192
CHUNK = 8 * 1024
_OUTCOMES_KEPT = 256  # blocks whose HTTP requests are counted (a minute of 250 ms blocks)
_TIMEOUT_S = 3.0


class OriginHttpServer:
    def __init__(
        self,
        store: BlockStore,
        stream_hex: str,
        uplink: Uplink,
        *,
        link: Callable[[], LinkProfile] = LinkProfile,
        on_block_served: Callable[[int], None] | None = None,
    ) -> None:
        self._store = store
        self._prefix = f"/live/{stream_hex}/"
        self._uplink = uplink
        self._link = link
        self._on_block_served = on_block_served
        self._server: asyncio.Server | None = None
        self._rng = random.Random()  # noqa: S311 - emulated loss, not cryptography
        self.requests = 0
        self.abandoned_bytes = 0  # of answers begun and given up (too late for the viewer): upload spent for nothing
        self.outcomes: dict[int, list[int]] = {}  # the newest blocks asked for: seq -> [asked, served, given up]

    async def start(self, host: str, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._handle, host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _TIMEOUT_S)
            if len(head) > _MAX_HEAD:
                return
            self.requests += 1
            parts = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            path, _, query = parts[1].partition("?") if len(parts) == 3 else ("", "", "")
            status, body, served = self._answer([parts[0], path, parts[2]] if path else parts)
            outcome = self._outcome(served)
            profile = self._link()
            if served is None:
                self._uplink.reserve(len(body))  # a head or a refusal: a few bytes, never queued behind blocks
            elif not await self._send_when_idle(len(body), _deadline(query), profile):
                outcome[2] += 1
                return  # it could not reach the viewer in time: no more upload spent on it
            outcome[1] += served is not None
            if served is not None and self._on_block_served is not None:
                self._on_block_served(served)
            extra = profile.extra_delay(len(body), self._rng) or 0.0
            await asyncio.sleep(2 * profile.delay_s + extra)  # the request's way in and the answer's way out
            writer.write(
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\n"
                f"Content-Length: {len(body)}\r\nContent-Type: application/octet-stream\r\n"
                "Cache-Control: no-store\r\nConnection: close\r\n\r\n".encode("ascii")
                + body
            )
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        except asyncio.CancelledError:  # shutting down: end this answer quietly
            pass
        finally:
            writer.close()

    def _outcome(self, seq: int | None) -> list[int]:
        if seq is None:
            return [0, 0, 0]
        outcome = self.outcomes.setdefault(seq, [0, 0, 0])
        outcome[0] += 1
        while len(self.outcomes) > _OUTCOMES_KEPT:
            del self.outcomes[min(self.outcomes)]
        return outcome

    async def _send_when_idle(self, size: int, useful_until: float | None, profile: LinkProfile) -> bool:
        """Book ``size`` bytes on the uplink piece by piece behind the pushes; False once they can no longer arrive
        by ``useful_until`` (the rest of the answer at the capped rate, then the link's way out)."""
        rate = self._uplink.rate_bps
        give_up_at = None if useful_until is None else useful_until - 2 * profile.delay_s  # as _handle delays it
        for offset in range(0, size, CHUNK):
            piece = min(CHUNK, size - offset)
            left_s = (size - offset) * 8 / rate if rate else 0.0
            late = give_up_at is not None and time.time() + left_s > give_up_at
            if late or not await self._uplink.transmit_when_idle(piece, give_up_at=give_up_at):
                self.abandoned_bytes += offset  # the pieces already sent
                return False
        if give_up_at is None or time.time() <= give_up_at:
            return True
        self.abandoned_bytes += size
        return False

    def _answer(self, request_line: list[str]) -> tuple[int, bytes, int | None]:
        """The status, the body and, for a block, its sequence number."""
        if len(request_line) != 3 or request_line[0] != "GET" or not request_line[1].startswith(self._prefix):
            return 404, b"", None
        rest = request_line[1][len(self._prefix) :]
        if rest == "head":
            return (404, b"", None) if self._store.newest is None else (200, str(self._store.newest).encode(), None)
        if rest.startswith("block/") and rest[6:].isdigit() and len(rest) < 32:
            seq = int(rest[6:])
            block = self._store.get(seq)
            if block is not None:
                return 200, block.wire, seq
        return 404, b"", None


def _deadline(query: str) -> float | None:
    """The ``by`` parameter: the wall-clock ms after which the viewer has no use for the answer."""
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == "by" and value.isdigit() and len(value) < 16:
            return int(value) / 1000
    return None


async def _get(url: str, local_host: str | None, max_body: int, timeout_s: float = _TIMEOUT_S) -> bytes | None:
    async with asyncio.timeout(timeout_s):
        return await _get_unbounded(url, local_host, max_body)


async def _get_unbounded(url: str, local_host: str | None, max_body: int) -> bytes | None:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname is None:
        return None
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(parts.hostname, parts.port or 80, local_addr=(local_host, 0) if local_host else None),
        _TIMEOUT_S,
    )
    try:
        # The query travels too: ``by`` tells the origin when an answer is no use to us (it drops it then).
        target = f"{parts.path}?{parts.query}" if parts.query else parts.path
        writer.write(f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _TIMEOUT_S)
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 200"):
            return None
        length = next(
            (int(v) for k, _, v in (ln.partition(":") for ln in lines[1:]) if k.lower() == "content-length"), -1
        )
        if length < 0 or length > max_body:
            return None
        return await asyncio.wait_for(reader.readexactly(length), _TIMEOUT_S)
    finally:
        writer.close()


async def fetch_block(
    origin_url: str, stream_hex: str, seq: int, *, local_host: str | None = None, timeout_s: float = _TIMEOUT_S
) -> bytes | None:
    """A block's signed bytes from the origin, or None (not held, origin away, bad answer, not in ``timeout_s``)."""
    try:
        by = int((time.time() + timeout_s) * 1000)
        url = f"{origin_url}/live/{stream_hex}/block/{seq}?by={by}"
        return await _get(url, local_host, MAX_BLOCK_SIZE, timeout_s)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
        return None


async def fetch_head(origin_url: str, stream_hex: str, *, local_host: str | None = None) -> int | None:
    """The origin's newest sequence number, or None."""
    try:
        body = await _get(f"{origin_url}/live/{stream_hex}/head", local_host, 32)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
        return None
    return int(body) if body is not None and body.isdigit() else None
