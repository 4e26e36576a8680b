"""A node of the live swarm — the origin or a viewer: connections, the stripe trees, pushing and screening blocks.

The stream is split into ``stripes`` by sequence number (``stripe_of``: seq mod k, rotated). Each viewer picks, per
stripe, one neighbour to push that stripe to it (the one fewest hops from the origin that has a free slot and is not
its own child) and tells it with SUBSCRIBE; the parent says in its STATUS which stripes it accepted. A node forwards
every new block at once to the neighbours subscribed to its stripe, so a block travels a tree of a few hops without
waiting for a segment; a parent that stops delivering is replaced. The origin accepts a fixed number of children per
stripe (its copies per block). What the trees miss is repaired by ``RepairLoop`` (pull from a neighbour that
advertised it, then the origin's HTTP near the deadline). Every block passes ``BlockStore.admit``: a peer that sends
a forged or malformed one, or keeps sending out-of-window ones, is dropped and not dialled again. Runs on one
asyncio loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from app.live import cut_through, wire
from app.live.block_store import Admission, BlockStore
from app.live.blocks import Block, BlockVerifier, parse_header
from app.live.errors import ProtocolError
from app.live.link import LinkProfile, Uplink
from app.live.neighbour import Neighbour
from app.live.wire import NO_ROUTE, Kind

log = logging.getLogger(__name__)

_HANDSHAKE_TIMEOUT_S = 3.0
_MAX_STRIKES = 8
_STALE_PARENT_S = 2.0
_REFUSAL_MEMORY_S = 5.0
_HOLD_DOWN_S = 0.6
_PULL_BACKLOG_S = 0.25
_PUSH_SHARE = 0.7  # of a viewer's upload cap, for stripe children


@dataclass(frozen=True, slots=True)
class NodeConfig:
    stream_id: bytes
    host: str
    port: int = 0
    stripes: int = 4
    block_ms: int = 250
    delay_s: float = 1.8  # the play-out delay viewers hold: a block pushed later than this is useless
    upload_bps: float | None = None
    stream_bps: float = 1_500_000  # the stream's rate, for counting push slots
    is_origin: bool = False
    origin_url: str | None = None
    origin_copies_per_stripe: int = 1
    # A viewer forwards whole blocks one copy after another: the last of f children of a stripe waits f block
    # times (125 ms each for 47 KB at 3 Mbit/s), so a small fan-out per stripe keeps every hop short.
    max_children_per_stripe: int = 3
    max_neighbours: int = 8  # dialled; a node also accepts up to twice this many (the origin: any number)
    max_hops: int = 16
    link: Callable[[], LinkProfile] = LinkProfile  # the emulated link of each new connection


@dataclass(slots=True)
class NodeCounters:
    block_bytes_from_peers: int = 0
    block_bytes_from_origin: int = 0  # pushed by the origin node or fetched from its HTTP
    blocks_from_peers: int = 0
    blocks_from_origin: int = 0
    peers_dropped: int = 0


@dataclass(slots=True)
class _Tree:
    parents: list[Neighbour | None]
    hops: list[int]
    refused: dict[tuple[bytes, int], float] = field(default_factory=dict)
    lost_at: dict[int, float] = field(default_factory=dict)


class LiveNode:
    def __init__(
        self, config: NodeConfig, verifier: BlockVerifier, on_block: Callable[[Block], None] | None = None
    ) -> None:
        self.config = config
        self.node_id = os.urandom(8)
        self.store = BlockStore(verifier)
        self.uplink = Uplink(config.upload_bps)
        self.counters = NodeCounters()
        self.neighbours: dict[bytes, Neighbour] = {}
        self._on_block = on_block
        self._rng = random.Random()  # noqa: S311 - peer choice and emulated loss, not cryptography
        k = config.stripes
        self._relays = cut_through.RelayBook()
        self._tree = _Tree(parents=[None] * k, hops=[0 if config.is_origin else NO_ROUTE] * k)
        self._banned_hosts: set[str] = set()
        self._bootstrap: set[tuple[str, int]] = set()
        self._dialling: set[tuple[str, int]] = set()
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._last_have: tuple[int, int] | None = None
        self._have_version = -1
        self.last_new_block_at = 0.0
        self.port = 0
        self.running = False

    # ---- life cycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_inbound, self.config.host, self.config.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        self.running = True
        self._tasks = [asyncio.create_task(self._have_loop()), asyncio.create_task(self._tree_loop())]
        self._tasks.append(asyncio.create_task(self._redial_loop()))

    async def stop(self) -> None:
        self.running = False
        for task in self._tasks:
            task.cancel()
        for nb in list(self.neighbours.values()):
            nb.close()
        self.neighbours.clear()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)

    def add_peers(self, addresses: Iterable[tuple[str, int]]) -> None:
        """Peers to dial (from the tracker or a list); dialled now and redialled while not connected."""
        for address in addresses:
            if address != (self.config.host, self.port):
                self._bootstrap.add(address)

    # ---- the origin ------------------------------------------------------------------------------------------

    def publish(self, block: Block) -> None:
        """The origin's own new block: keep it and push it to the stripe's children."""
        self.store.put(block)
        self.last_new_block_at = time.monotonic()
        self._forward(block, source=None)

    # ---- connections -----------------------------------------------------------------------------------------

    async def _on_inbound(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer_host = str(writer.get_extra_info("peername")[0])
        limit = 10_000 if self.config.is_origin else 2 * self.config.max_neighbours
        if peer_host in self._banned_hosts or len(self.neighbours) >= limit:
            writer.close()
            return
        try:
            hello = await asyncio.wait_for(self._read_hello(reader), _HANDSHAKE_TIMEOUT_S)
            writer.write(self._hello_frame())
            await writer.drain()
        except (ProtocolError, OSError, asyncio.IncompleteReadError, TimeoutError):
            writer.close()
            return
        self._register(hello, (peer_host, hello.port), reader, writer, outbound=False)

    async def _dial(self, address: tuple[str, int]) -> None:
        self._dialling.add(address)
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(address[0], address[1], local_addr=(self.config.host, 0)),
                _HANDSHAKE_TIMEOUT_S,
            )
            writer.write(self._hello_frame())
            await writer.drain()
            hello = await asyncio.wait_for(self._read_hello(reader), _HANDSHAKE_TIMEOUT_S)
        except (ProtocolError, OSError, asyncio.IncompleteReadError, TimeoutError):
            return
        finally:
            self._dialling.discard(address)
        self._register(hello, address, reader, writer, outbound=True)

    def _hello_frame(self) -> bytes:
        flags = wire.HELLO_ORIGIN if self.config.is_origin else 0
        return wire.hello(self.config.stream_id, self.node_id, self.port, flags)

    async def _read_hello(self, reader: asyncio.StreamReader) -> wire.Hello:
        kind, body = await wire.read_frame(reader)
        if kind is not Kind.HELLO:
            raise ProtocolError("the first frame is not a hello")
        hello = wire.parse_hello(body)
        if hello.stream_id != self.config.stream_id:
            raise ProtocolError("a peer of another stream")
        return hello

    def _register(
        self,
        hello: wire.Hello,
        address: tuple[str, int],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        outbound: bool,
    ) -> None:
        if hello.node_id == self.node_id or not self.running:
            writer.close()
            return
        existing = self.neighbours.get(hello.node_id)
        if existing is not None:
            # Both dialled each other at once: both sides keep the connection the smaller node id dialled.
            dialler = self.node_id if outbound else hello.node_id
            existing_dialler = self.node_id if existing.outbound else hello.node_id
            if existing.outbound == outbound or existing_dialler <= dialler:
                writer.close()
                return
            self._remove(existing)
        nb = Neighbour(
            node_id=hello.node_id,
            address=address,
            reader=reader,
            writer=writer,
            uplink=self.uplink,
            profile=self.config.link(),
            rng=self._rng,
            is_origin=hello.is_origin,
            outbound=outbound,
        )
        self.neighbours[hello.node_id] = nb
        nb.start()
        self._send_status(nb)
        have = None if self.config.is_origin else self.store.have_map()
        if have is not None:
            nb.send_control(wire.have(*have))
        self._tasks.append(asyncio.create_task(self._read_loop(nb)))

    async def _redial_loop(self) -> None:
        while True:
            connected = {nb.address for nb in self.neighbours.values()}
            wanted = [a for a in self._bootstrap if a not in connected and a not in self._dialling]
            wanted = [a for a in wanted if a[0] not in self._banned_hosts]
            self._rng.shuffle(wanted)
            room = self.config.max_neighbours - len(self.neighbours)
            # The origin is always worth a connection: it tells the stream's head and feeds stripe roots.
            for address in wanted[: max(0, room)]:
                self._tasks.append(asyncio.create_task(self._dial(address)))
            self._tasks = [t for t in self._tasks if not t.done()]
            await asyncio.sleep(1.0)

    def drop(self, nb: Neighbour, reason: str) -> None:
        """End a misbehaving peer's connection and never dial its address again."""
        log.info("live: dropping a peer: %s", reason)
        self._banned_hosts.add(nb.address[0])
        self.counters.peers_dropped += 1
        self._remove(nb)

    def _remove(self, nb: Neighbour) -> None:
        nb.close()
        if self.neighbours.get(nb.node_id) is nb:
            del self.neighbours[nb.node_id]
        for stripe, parent in enumerate(self._tree.parents):
            if parent is nb:
                self._tree.parents[stripe] = None
                self._tree.lost_at[stripe] = time.monotonic()

    # ---- frames ----------------------------------------------------------------------------------------------

    async def _read_loop(self, nb: Neighbour) -> None:
        try:
            while not nb.closed:
                kind, body = await wire.read_frame(nb.reader)
                nb.counters.bytes_received += len(body) + 5
                self._dispatch(nb, kind, body)
        except ProtocolError as error:
            self.drop(nb, str(error))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._remove(nb)

    def _dispatch(self, nb: Neighbour, kind: Kind, body: bytes) -> None:
        if kind is Kind.PART:
            self._on_part(nb, wire.parse_part(body))
        elif kind is Kind.BLOCK:
            self._on_block_frame(nb, body)
        elif kind is Kind.HAVE:
            nb.have = wire.parse_have(body)
        elif kind is Kind.WANT:
            block = self.store.get(wire.parse_want(body))
            # Pulls get what the pushes leave: a busy uplink ignores them and the asker tries another peer.
            if block is not None and self.uplink.backlog_s() < _PULL_BACKLOG_S:
                nb.send_block(block.seq, self._deadline(block), wire.frame(Kind.BLOCK, block.wire))
        elif kind is Kind.SUBSCRIBE:
            self._on_subscribe(nb, wire.parse_subscribe(body))
        elif kind is Kind.STATUS:
            nb.status = wire.parse_status(body)
        else:
            raise ProtocolError("a second hello")

    def _on_part(self, nb: Neighbour, part: wire.Part) -> None:
        """A part of a pushed block: screen its header first, pass it on at once, admit the block once whole."""
        if part.offset == 0:
            refused = self.store.screen_first_part(part.data, part.seq, part.total)
            if refused is not None:
                self._on_refusal(nb, part.seq, refused)
                return
            nb.assembler.start(part)
        elif not nb.assembler.extend(part):
            return  # the sender dropped an earlier part as late: this block will not complete from it
        nb.last_block_at[stripe_of(part.seq, self.config.stripes)] = time.monotonic()
        data = nb.assembler.take_if_complete(part)
        if data is not None:
            # The completing part is not passed on here: _forward sends it once admit checked the signature.
            self._on_block_frame(nb, data)
            return
        relay = self._relays.on_part(nb, part)
        if relay is None or part.seq in self.store:
            return
        if part.offset == 0:
            relay.deadline = parse_header(part.data)[2] / 1000 + self.config.delay_s
        bit = 1 << stripe_of(part.seq, self.config.stripes)
        part_frame: bytes | None = None
        for child in self.neighbours.values():
            # A child that subscribed after the block began gets the whole block once it is verified.
            if child is nb or not child.subscribed_mask & bit or relay.sent.get(child.node_id, 0) != part.offset:
                continue
            part_frame = part_frame or wire.part(part.seq, part.total, part.offset, part.data)
            child.send_part(part.seq, relay.deadline, part_frame, first=part.offset == 0, last=False)
            relay.sent[child.node_id] = part.end

    def _on_refusal(self, nb: Neighbour, seq: int, refused: Admission) -> None:
        if refused is Admission.DUPLICATE:  # a parent whose copy came second (a pull was quicker) still delivers
            nb.last_block_at[stripe_of(seq, self.config.stripes)] = time.monotonic()
        elif refused in (Admission.FORGED, Admission.MALFORMED):
            self.drop(nb, f"it sent a {refused.value} block")
        elif refused is Admission.OUT_OF_WINDOW:
            nb.counters.strikes += 1
            if nb.counters.strikes > _MAX_STRIKES:
                self.drop(nb, "it keeps sending blocks out of the window")

    def _on_block_frame(self, nb: Neighbour, body: bytes) -> None:
        admission, block = self.store.admit(body)
        if admission is Admission.NEW and block is not None:
            nb.last_block_at[stripe_of(block.seq, self.config.stripes)] = time.monotonic()
            self.accept_new(block, from_origin=nb.is_origin, source=nb)
        else:
            self._on_refusal(nb, _seq_of(body), admission)

    def accept_new(self, block: Block, *, from_origin: bool, source: Neighbour | None) -> None:
        """A verified new block (from a peer, or fetched from the origin's HTTP): count, hand over, forward."""
        if from_origin:
            self.counters.block_bytes_from_origin += len(block.wire)
            self.counters.blocks_from_origin += 1
        else:
            self.counters.block_bytes_from_peers += len(block.wire)
            self.counters.blocks_from_peers += 1
        self.last_new_block_at = time.monotonic()
        if self._on_block is not None:
            self._on_block(block)
        self._forward(block, source)

    def _deadline(self, block: Block) -> float:
        return block.capture_ms / 1000 + self.config.delay_s

    def _forward(self, block: Block, source: Neighbour | None) -> None:
        """Push a new verified block to its stripe's children, in parts; a child that was relayed the block's first
        parts as they arrived gets the rest (with the completing part, withheld until now)."""
        bit = 1 << stripe_of(block.seq, self.config.stripes)
        relay = self._relays.finish(block.seq, source)
        deadline = self._deadline(block)
        frames: dict[int, bytes] = {}
        for nb in self.neighbours.values():
            # A subscribed child gets the push even if it pulled the block already: a parent that skipped such
            # blocks would look stale to its child and be dropped, and the tree would fall apart into pulls.
            if nb is source or not nb.subscribed_mask & bit:
                continue
            start = 0 if relay is None or nb.abandoned(block.seq) else relay.sent.get(nb.node_id, 0)
            for offset, data in cut_through.split(block.wire, start):
                if offset not in frames:
                    frames[offset] = wire.part(block.seq, len(block.wire), offset, data)
                last = offset + len(data) == len(block.wire)
                nb.send_part(block.seq, deadline, frames[offset], first=offset == 0, last=last)

    # ---- stripe trees ----------------------------------------------------------------------------------------

    def _stripe_slots(self) -> list[int]:
        """How many more children this node takes, per stripe."""
        k = self.config.stripes
        children = [sum(1 for nb in self.neighbours.values() if nb.subscribed_mask >> s & 1) for s in range(k)]
        if self.config.is_origin:
            return [max(0, self.config.origin_copies_per_stripe - c) for c in children]
        if self.config.upload_bps is None:
            total = 4 * k
        else:  # keep some of the upload for pulls, and queues short
            total = int(self.config.upload_bps * _PUSH_SHARE / (self.config.stream_bps / k))
        free = max(0, total - sum(children))
        per_stripe = self.config.max_children_per_stripe
        return [
            min(free, per_stripe - children[s]) if self._tree.hops[s] < self.config.max_hops else 0 for s in range(k)
        ]

    def _on_subscribe(self, nb: Neighbour, mask: int) -> None:
        nb.subscribed_mask = 0  # count the slots as if this peer held none, then grant what fits
        slots = self._stripe_slots()
        accepted = 0
        for stripe in range(self.config.stripes):
            if mask >> stripe & 1 and slots[stripe] > 0:
                accepted |= 1 << stripe
                # Per stripe, and for a viewer also one pool shared by all stripes.
                slots = [n - 1 if (s == stripe or not self.config.is_origin) else n for s, n in enumerate(slots)]
        nb.subscribed_mask = accepted
        self._send_status(nb)

    def _send_status(self, nb: Neighbour) -> None:
        nb.send_control(wire.status(tuple(self._tree.hops), tuple(self._stripe_slots()), nb.subscribed_mask))

    async def _tree_loop(self) -> None:
        rounds = 0
        while True:
            before = list(self._tree.hops)
            if not self.config.is_origin:
                for stripe in range(self.config.stripes):
                    self._keep_parent(stripe)
            if rounds % 4 == 0 or self._tree.hops != before:  # a changed route is told at once
                for nb in list(self.neighbours.values()):
                    self._send_status(nb)
            rounds += 1
            await asyncio.sleep(0.25)

    def _keep_parent(self, stripe: int) -> None:
        tree, now, bit = self._tree, time.monotonic(), 1 << stripe
        parent = tree.parents[stripe]
        if parent is not None and self._parent_failed(parent, stripe, now):
            parent.my_stripes_mask &= ~bit
            parent.send_control(wire.subscribe(parent.my_stripes_mask))
            tree.refused[(parent.node_id, stripe)] = now
            tree.parents[stripe] = parent = None
            tree.lost_at[stripe] = now
        # Hold-down: after losing a parent, advertise no route for a moment so our own subtree lets go of us too,
        # instead of offering itself as our new parent (a loop).
        if parent is None and now - tree.lost_at.get(stripe, -1e9) > _HOLD_DOWN_S:
            parent = self._choose_parent(stripe, now)
            if parent is not None:
                tree.parents[stripe] = parent
                parent.my_stripes_mask |= bit
                parent.subscribed_at[stripe] = now
                parent.send_control(wire.subscribe(parent.my_stripes_mask))
        hops = NO_ROUTE if parent is None else parent.hops(stripe)
        tree.hops[stripe] = NO_ROUTE if hops >= self.config.max_hops else hops + 1

    def _parent_failed(self, parent: Neighbour, stripe: int, now: float) -> bool:
        if parent.closed or parent.hops(stripe) >= self.config.max_hops:
            return True
        since = now - parent.subscribed_at.get(stripe, now)
        status = parent.status
        if since > 1.0 and status is not None and not status.pushing_to_you >> stripe & 1:
            return True  # it did not accept
        last = max(parent.last_block_at.get(stripe, 0.0), parent.subscribed_at.get(stripe, 0.0))
        stream_alive = now - self.last_new_block_at < 1.0
        return stream_alive and now - last > _STALE_PARENT_S

    def _choose_parent(self, stripe: int, now: float) -> Neighbour | None:
        bit = 1 << stripe
        candidates = []
        for nb in self.neighbours.values():
            refused_at = self._tree.refused.get((nb.node_id, stripe), -1e9)
            status = nb.status
            if nb.closed or nb.subscribed_mask & bit or status is None or now - refused_at < _REFUSAL_MEMORY_S:
                continue
            if stripe >= len(status.free) or status.free[stripe] <= 0 or nb.hops(stripe) >= self.config.max_hops:
                continue
            # Spread the stripes over different parents (one slow parent then costs one stripe, not all), and take
            # at most one from the origin: its few copies should root as many different subtrees as possible.
            shared = bin(nb.my_stripes_mask).count("1")
            if nb.is_origin and shared:
                continue
            candidates.append((shared, nb.hops(stripe), nb.queued_blocks(), self._rng.random(), nb))
        return min(candidates, key=lambda c: c[:4])[4] if candidates else None

    def has_parent(self, stripe: int) -> bool:
        parent = self._tree.parents[stripe]
        return parent is not None and not parent.closed

    def stripe_hops(self) -> list[int]:
        return list(self._tree.hops)

    # ---- advertisements --------------------------------------------------------------------------------------

    async def _have_loop(self) -> None:
        while True:
            # The origin advertises nothing: its upload is for the stripe roots and the HTTP last resort, not pulls.
            changed = self.store.version != self._have_version
            self._have_version = self.store.version
            have = None if self.config.is_origin or not changed else self.store.have_map()
            if have is not None and have != self._last_have:
                self._last_have = have
                frame = wire.have(*have)
                for nb in list(self.neighbours.values()):
                    nb.send_control(frame)
            await asyncio.sleep(0.05)


def stripe_of(seq: int, stripes: int) -> int:
    """The stripe a block travels: seq mod k, rotated by one every k blocks.

    The keyframe interval is a whole number of blocks (often k of them): plain seq mod k would put every keyframe
    block — the largest — on one stripe and overload its tree.
    """
    return (seq + seq // stripes) % stripes


def _seq_of(block_wire: bytes) -> int:
    return int.from_bytes(block_wire[22:30], "big")  # the seq field of a well-formed block
