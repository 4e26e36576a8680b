"""A viewer's repair of what the stripe trees missed: pull from a neighbour, then the origin's HTTP near the deadline.

Every 100 ms it walks the sequence numbers from the first one the play-out still needs (or, before play starts, the
last second of the stream) to the newest one anyone advertised. A missing block is asked (WANT) from a neighbour
whose HAVE lists it — the least loaded, another one on retry — once the stripe tree will not bring it (no parent for
its stripe, or a later block of the stripe came first) or ``pull_margin_s`` before its play-out deadline — only
``arriving_margin_s`` before it while the block's parts are arriving from a push; pulling earlier would spend peers'
upload on copies already on their way (at 40 viewers nearly every block was pulled as well as pushed). A block still
missing ``origin_margin_s`` before the deadline is fetched from the origin over HTTP (a few at a time). A viewer
that has no peer with blocks learns the stream's head from the origin. Runs on the node's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from app.live import wire
from app.live.block_store import Admission
from app.live.neighbour import Neighbour
from app.live.node import LiveNode
from app.live.origin_http import fetch_block, fetch_head
from app.live.wire import stripe_of

_WANT_RETRY_S = 0.5
_MAX_HTTP_AT_ONCE = 4
_HEAD_POLL_S = 0.5
_SPAN_BEFORE_PLAY = 4  # blocks: one second holds a keyframe


class RepairLoop:
    def __init__(
        self,
        node: LiveNode,
        wanted_from: Callable[[], int | None],
        *,
        delay_now: Callable[[], float] | None = None,
        pull_margin_s: float = 0.75,
        arriving_margin_s: float = 0.45,
        origin_margin_s: float = 0.4,
    ) -> None:
        self._node = node
        self._wanted_from = wanted_from
        # The delay play-out holds now (the stream's plus its lag): a block's real deadline, for pulls and HTTP.
        self._delay_now = delay_now or (lambda: node.config.delay_s)
        self._pull_margin_s = pull_margin_s
        self._arriving_margin_s = arriving_margin_s
        self._origin_margin_s = origin_margin_s
        self._first_heard: dict[int, float] = {}
        self._wants: dict[int, tuple[float, bytes]] = {}
        self._http: set[int] = set()
        self._origin_head: int | None = None
        self._head_polled_at = 0.0
        self._task: asyncio.Task[None] | None = None
        self._fetches: set[asyncio.Task[None]] = set()
        self.http_fetches = 0
        self.pulls = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        for task in [self._task, *self._fetches]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    async def _run(self) -> None:
        while True:
            self._round(time.monotonic(), time.time())
            await asyncio.sleep(0.1)

    def _newest_known(self, now: float) -> int | None:
        node = self._node
        heads = [nb.have.newest for nb in node.neighbours.values() if nb.have is not None]
        if node.store.newest is not None:
            heads.append(node.store.newest)
        peers_quiet = now - node.last_new_block_at > 1.0
        if node.config.origin_url and peers_quiet and now - self._head_polled_at > _HEAD_POLL_S:
            self._head_polled_at = now
            self._spawn(self._poll_head())
        if self._origin_head is not None:
            heads.append(self._origin_head)
        return max(heads) if heads else None

    def _round(self, now: float, wall: float) -> None:
        node = self._node
        newest = self._newest_known(now)
        if newest is None:
            return
        start = self._wanted_from()
        if start is None:
            start = newest - (_SPAN_BEFORE_PLAY - 1)
        start = max(start, newest - 40)
        for table in (self._first_heard, self._wants):
            for seq in [s for s in table if s < start]:
                del table[seq]
        reference = node.store.reference()
        delay_s = self._delay_now()
        holders_cache = [nb for nb in node.neighbours.values() if nb.have is not None and not nb.closed]
        for seq in range(start, newest + 1):
            if seq in node.store:
                continue
            first = self._first_heard.setdefault(seq, now)
            if reference is not None:
                capture_s = (reference.capture_ms + (seq - reference.seq) * node.config.block_ms) / 1000
                deadline = capture_s + delay_s
            else:
                deadline = wall + delay_s  # nothing held yet: a joining viewer wants it now
            stripe_overdue = self._stripe_overdue(seq)
            # A block whose parts are arriving is not pulled (a second copy would only slow both) unless its push
            # is about to miss the deadline.
            margin = self._arriving_margin_s if node.arriving(seq) else self._pull_margin_s
            pull_time = reference is None or stripe_overdue or wall >= deadline - margin
            if pull_time and now - first >= 0.05:
                self._pull(seq, now, holders_cache)
            if reference is not None:
                urgent = wall >= deadline - self._origin_margin_s
            else:  # a joining viewer: the origin only if no peer offers the block soon
                urgent = now - first >= 0.3 and not any(_holds(nb, seq) for nb in holders_cache)
            can_fetch = node.config.origin_url is not None and len(self._http) < _MAX_HTTP_AT_ONCE
            if urgent and can_fetch and seq not in self._http and wall <= deadline + 1.0:
                self._http.add(seq)
                self._spawn(self._fetch(seq, max(0.3, deadline - wall)))

    def _stripe_overdue(self, seq: int) -> bool:
        """True when the stripe tree will not bring ``seq``: no parent, or a later block of its stripe came first.

        A parent pushes its stripe in order over one TCP connection, so a later block of the stripe means this one
        was dropped on the way (late, or a queue overflow). Otherwise it is most likely still on its way down.
        """
        node = self._node
        k = node.config.stripes
        stripe = stripe_of(seq, k)
        if not node.has_parent(stripe):
            return True
        later = [s for s in range(seq + 1, seq + 2 * k + 2) if stripe_of(s, k) == stripe]
        return any(s in node.store for s in later)

    def _pull(self, seq: int, now: float, neighbours: list[Neighbour]) -> None:
        asked = self._wants.get(seq)
        if asked is not None and now - asked[0] < _WANT_RETRY_S:
            return
        holders = [nb for nb in neighbours if _holds(nb, seq) and (asked is None or nb.node_id != asked[1])]
        if not holders:
            return
        nb = min(holders, key=lambda n: (n.queued_blocks(), n.is_origin))  # spare the origin
        nb.send_control(wire.want(seq))
        self._wants[seq] = (now, nb.node_id)
        self.pulls += 1

    def _spawn(self, coroutine: object) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coroutine)  # type: ignore[arg-type]
        self._fetches.add(task)
        task.add_done_callback(self._fetches.discard)

    async def _poll_head(self) -> None:
        node = self._node
        assert node.config.origin_url is not None
        head = await fetch_head(node.config.origin_url, node.config.stream_id.hex(), local_host=node.config.host)
        if head is not None:
            self._origin_head = head

    async def _fetch(self, seq: int, timeout_s: float) -> None:
        node = self._node
        assert node.config.origin_url is not None
        try:
            data = await fetch_block(
                node.config.origin_url,
                node.config.stream_id.hex(),
                seq,
                local_host=node.config.host,
                timeout_s=timeout_s,
            )
            if data is None or seq in node.store:
                return
            admission, block = node.store.admit(data)
            if admission is Admission.NEW and block is not None and block.seq == seq:
                self.http_fetches += 1
                node.accept_new(block, from_origin=True, source=None, via="http")
        finally:
            await asyncio.sleep(0.1)  # a 404 (not produced yet) is not retried at once
            self._http.discard(seq)


def _holds(nb: Neighbour, seq: int) -> bool:
    return nb.have is not None and nb.have.holds(seq)
