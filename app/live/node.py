"""A node of the live swarm — the origin or a viewer: connections, the stripe trees, pushing and screening blocks.

The stream is split into ``stripes`` by sequence number (``stripe_of``: seq mod k, rotated). Each viewer picks, per
stripe, a neighbour to push that stripe to it (``stripe_tree.StripeTrees``: SUBSCRIBE and STATUS, loop-free by
the paths STATUS carries, re-parenting at once when a parent's connection closes). A node forwards every new block
at once to the neighbours subscribed to its stripe, so a block travels a tree of a few hops without waiting for a
segment. The origin accepts a fixed number of children per stripe (its copies per block). What the trees miss is
repaired by ``RepairLoop`` (pull from a neighbour that advertised it, then the origin's HTTP near the deadline).
Every block passes ``BlockStore.admit``: a peer that sends
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
from dataclasses import replace

from app.live import cut_through, wire
from app.live.block_store import Admission, BlockStore
from app.live.blocks import Block, BlockVerifier, parse_header
from app.live.dial_book import DialBook
from app.live.errors import ProtocolError
from app.live.link import Uplink
from app.live.neighbour import Neighbour
from app.live.node_config import NodeConfig, NodeCounters
from app.live.playout import CATCH_UP_S
from app.live.stripe_tree import HAVE_HEARTBEAT_S, StripeTrees
from app.live.wakeup import Wakeup
from app.live.way_up import climb_to
from app.live.wire import Kind, stripe_of

log = logging.getLogger(__name__)

_HANDSHAKE_TIMEOUT_S = 3.0
_MAX_STRIKES = 8
_PULL_BACKLOG_S = 0.25
_EXTRA_TO_CLIMB = 4  # neighbours dialled beyond max_neighbours to reach a free place higher in our home stripe
_EXTRA_WHEN_STARVING = 4  # neighbours dialled beyond max_neighbours while a stripe finds no parent among ours
_HAVE_EVERY_S = 0.1  # a changed HAVE goes out at most this often (a block comes every 250 ms)
_OWN_BLOCK = object()  # the "connection" the origin's own blocks come from (its encoder)
ROUTES = ("push", "pull", "origin", "http")  # how a new block reached a node (origin: its node pushed it)


class LiveNode:
    def __init__(
        self,
        config: NodeConfig,
        verifier: BlockVerifier,
        on_block: Callable[[Block, str], None] | None = None,  # each new verified block, and its route (ROUTES)
    ) -> None:
        self.config = config
        self.node_id = os.urandom(8)
        self.store = BlockStore(verifier)
        self.uplink = Uplink(config.upload_bps)
        self.counters = NodeCounters()
        self.neighbours: dict[bytes, Neighbour] = {}
        self._on_block = on_block
        self._rng = random.Random()  # noqa: S311 - peer choice and emulated loss, not cryptography
        self._relays = cut_through.RelayBook()
        self._tree = StripeTrees(config, self.node_id, self._rng, time.monotonic())
        self._tree_wake = Wakeup()
        self._dial_book = DialBook()
        self._origin_address: tuple[str, int] | None = None  # where we reached the origin (it said so in its hello)
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._last_have: tuple[int, int] | None = None
        self._have_version = -1
        self._heartbeat_at = 0.0  # monotonic: when our HAVE last went to every stripe child
        self.last_new_block_at = 0.0
        self.port = 0
        self.running = False
        self.sharing = True  # False: uploads nothing (a metered connection): see ``set_sharing``

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
            self._count_closed(nb)
        self.neighbours.clear()
        # A stopped node's objects form cycles (tasks, callbacks) that only the cyclic GC frees, and a host of many
        # viewers runs it rarely: each departed viewer kept its ~64 blocks for minutes. Its blocks go now.
        self.store.clear()
        self._relays = cut_through.RelayBook()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)

    def add_peers(self, addresses: Iterable[tuple[str, int]]) -> None:
        """Peers to dial (from the tracker or a list); dialled now and redialled while not connected."""
        self._dial_book.add(addresses, (self.config.host, self.port))

    def set_sharing(self, on: bool) -> None:
        """Relay to other viewers (the default) or upload no block at all, while still receiving and playing.

        Not a cap of 0 (``Uplink`` reads a rate of 0 as no cap): an explicit state. Off, the node offers no child
        slot and lets go of its children (their STATUS says it pushes them nothing, so they re-parent at once), drops
        what waits in its send queues, stops advertising what it holds and ignores pulls — neighbours route around
        it. Control frames still go: it keeps its own parents and pulls. On again, its STATUS offers slots and its
        HAVE goes out at once: neighbours take it up in their next rounds, without anyone rejoining. Loop thread.
        """
        if on == self.sharing or self.config.is_origin:
            return
        self.sharing = on
        self._tree.accepting = on
        self._last_have = None  # on again: the next HAVE round tells what it holds
        for nb in list(self.neighbours.values()):
            if not on:
                nb.subscribed_mask = 0
                nb.discard_blocks()
            self._send_status(nb)
        self._tree_wake.set()

    def set_upload_cap(self, upload_bps: float | None) -> None:
        """A new upload cap (the Settings changed while watching), from now on: the uplink's rate and the push slots
        offered. Children beyond the new slots keep their stripes; a slower uplink drops what comes too late, and
        they re-parent as from any slow parent. None: no cap. Loop thread."""
        if self.config.is_origin or upload_bps == self.config.upload_bps:
            return
        self.config = replace(self.config, upload_bps=upload_bps)
        self.uplink.rate_bps = upload_bps
        self._tree.reconfigure(self.config)
        self._tree_wake.set()  # the next round tells the neighbours the slots

    # ---- the origin ------------------------------------------------------------------------------------------

    def publish_open(self, seq: int, offset: int, data: bytes) -> None:
        """Bytes of the origin's block still being made (``offset`` on, the header first): pushed to the stripe's
        children at once as open parts, so the block travels while the encoder fills it."""
        for start in range(0, len(data), cut_through.PART_SIZE):
            self._relay_part(_OWN_BLOCK, wire.Part(seq, 0, offset + start, data[start : start + cut_through.PART_SIZE]))

    def publish(self, block: Block) -> None:
        """The origin's own new block, signed: keep it and push it (its bytes not sent open yet) to the stripe's
        children."""
        self.store.put(block)
        self.last_new_block_at = time.monotonic()
        self._forward(block, source=_OWN_BLOCK)

    # ---- connections -----------------------------------------------------------------------------------------

    async def _on_inbound(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer_host = str(writer.get_extra_info("peername")[0])
        limit = 10_000 if self.config.is_origin else 2 * self.config.max_neighbours
        if self._dial_book.banned(peer_host) or len(self.neighbours) >= limit:
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
        self._dial_book.started(address, time.monotonic())
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
            self._dial_book.ended(address)
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
            siblings=self.neighbours,
        )
        self.neighbours[hello.node_id] = nb
        if hello.is_origin and outbound:
            self._origin_address = address
        self._dial_book.connected(address)
        nb.start()
        self._send_status(nb)
        have = None if self.config.is_origin or not self.sharing else self.store.have_map()
        if have is not None:
            nb.send_control(wire.have(*have))
        self._tasks.append(asyncio.create_task(self._read_loop(nb)))

    async def _redial_loop(self) -> None:
        while True:
            connected = {nb.address for nb in self.neighbours.values()}
            now = time.monotonic()
            wanted = self._dial_book.due(connected, now)
            self._rng.shuffle(wanted)
            room = self.config.max_neighbours - len(self.neighbours)
            if not self.config.is_origin and self._tree.starving(now):
                room += _EXTRA_WHEN_STARVING  # every neighbour is full in some stripe: meet others who are not
            # The origin is always worth a connection, however many neighbours we have: only its neighbours can take
            # a stripe's root slot when the root leaves, and a stripe without a root has no route at all.
            dial = wanted[: max(0, room)]
            if self._origin_address in wanted and self._origin_address not in dial:
                dial.append(self._origin_address)
            for address in dial:
                self._tasks.append(asyncio.create_task(self._dial(address)))
            self._tasks = [t for t in self._tasks if not t.done()]
            await asyncio.sleep(1.0)

    def _climb(self, address: tuple[str, int]) -> None:
        """Dial the way up our home parent named (``app.live.way_up``), beyond the usual count of neighbours if need
        be (up to ``_EXTRA_TO_CLIMB``); the tree's upgrade takes it once its STATUS shows the place."""
        if address == (self.config.host, self.port) or not self._dial_book.may_dial(address, time.monotonic()):
            return
        if len(self.neighbours) >= self.config.max_neighbours + _EXTRA_TO_CLIMB:
            return
        if any(nb.address == address for nb in self.neighbours.values()):
            return
        self._tree.counters.climb_dials += 1
        self._tasks.append(asyncio.create_task(self._dial(address)))

    def drop(self, nb: Neighbour, reason: str) -> None:
        """End a misbehaving peer's connection and never dial its address again."""
        log.info("live: dropping a peer: %s", reason)
        self._dial_book.ban(nb.address[0])
        self.counters.peers_dropped += 1
        self._remove(nb)

    def _remove(self, nb: Neighbour) -> None:
        nb.close()
        if self.neighbours.get(nb.node_id) is nb:
            del self.neighbours[nb.node_id]
            self._count_closed(nb)
        if self._tree.on_gone(nb, time.monotonic()):
            self._tree_wake.set()  # a parent left: re-parent now, not at the next round

    def _count_closed(self, nb: Neighbour) -> None:
        self.counters.closed_block_bytes_sent += nb.counters.block_bytes_sent
        self.counters.closed_bytes_sent += nb.counters.bytes_sent

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
            self._on_block_frame(nb, body, via="pull")
        elif kind is Kind.HAVE:
            nb.have = wire.parse_have(body)
            nb.have_at = time.monotonic()
        elif kind is Kind.WANT:
            block = self.store.get(wire.parse_want(body))
            # Pulls get what the pushes leave: a busy uplink ignores them and the asker tries another peer.
            if block is not None and self.sharing and self.upload_backlog_s() < _PULL_BACKLOG_S:
                nb.send_block(block.seq, self._deadline(block), wire.frame(Kind.BLOCK, block.wire))
        elif kind is Kind.SUBSCRIBE:
            self._on_subscribe(nb, wire.parse_subscribe(body))
        elif kind is Kind.STATUS:
            status = nb.status = wire.parse_status(body)
            if nb.my_stripes_mask & ~status.pushing_to_you and status.subscribes_seen >= nb.subscribes_sent:
                self._tree_wake.set()  # a parent refused (or let go of) a stripe: ask the next one now
            climb = climb_to(self._tree.parents, self._tree.home, nb, status)
            if climb is not None:
                self._climb(climb)
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
        _delivered(nb, part.seq, self.config.stripes)
        data = nb.assembler.take_if_complete(part)
        if data is not None:
            # The completing part is not passed on here: _forward sends it once admit checked the signature.
            self._on_block_frame(nb, data, via="push")
            return
        if part.seq not in self.store:
            self._relay_part(nb, part)

    def _relay_part(self, source: object, part: wire.Part) -> None:
        """Pass ``part`` on at once to each subscribed child that got the block's bytes before it (a child that
        subscribed after the block began gets the whole block once it is verified). ``source``: the connection it
        came from, or the origin's own block being made (``_OWN_BLOCK``)."""
        relay = self._relays.on_part(source, part)
        if relay is None:
            return
        if part.offset == 0:
            relay.deadline = parse_header(part.data)[2] / 1000 + self.config.delay_s + CATCH_UP_S
        stripe = stripe_of(part.seq, self.config.stripes)
        bit = 1 << stripe
        part_frame: bytes | None = None
        for child in self.neighbours.values():
            if child is source or not child.subscribed_mask & bit or relay.sent.get(child.node_id, 0) != part.offset:
                continue
            part_frame = part_frame or wire.part(part.seq, part.total, part.offset, part.data)
            rank = 0 if child.relays(stripe) else 1
            child.send_part(
                part.seq, relay.deadline, part_frame, first=part.offset == 0, last=False, offset=part.offset, rank=rank
            )
            relay.sent[child.node_id] = part.end

    def _on_refusal(self, nb: Neighbour, seq: int, refused: Admission) -> None:
        if refused is Admission.DUPLICATE:  # a parent whose copy came second (a pull was quicker) still delivers
            _delivered(nb, seq, self.config.stripes)
        elif refused in (Admission.FORGED, Admission.MALFORMED):
            self.drop(nb, f"it sent a {refused.value} block")
        elif refused is Admission.OUT_OF_WINDOW:
            nb.counters.strikes += 1
            if nb.counters.strikes > _MAX_STRIKES:
                self.drop(nb, "it keeps sending blocks out of the window")

    def _on_block_frame(self, nb: Neighbour, body: bytes, *, via: str) -> None:
        admission, block = self.store.admit(body)
        if admission is Admission.NEW and block is not None:
            _delivered(nb, block.seq, self.config.stripes)
            self.accept_new(block, from_origin=nb.is_origin, source=nb, via="origin" if nb.is_origin else via)
        else:
            self._on_refusal(nb, _seq_of(body), admission)

    def accept_new(self, block: Block, *, from_origin: bool, source: Neighbour | None, via: str) -> None:
        """A verified new block (from a peer, or fetched from the origin's HTTP): count, hand over, forward.

        ``via`` is one of ``ROUTES``: pushed down a stripe tree, pulled from a neighbour, or from the origin."""
        if from_origin:
            self.counters.block_bytes_from_origin += len(block.wire)
            self.counters.blocks_from_origin += 1
        else:
            self.counters.block_bytes_from_peers += len(block.wire)
            self.counters.blocks_from_peers += 1
        self.last_new_block_at = time.monotonic()
        if self._on_block is not None:
            self._on_block(block, via)
        self._forward(block, source)

    def upload_backlog_s(self) -> float:
        """How long the bytes already booked or queued for upload (all connections) take to leave: items wait in
        the connections' queues, not in the uplink's booking (that holds ~50 ms), so both count."""
        if not self.uplink.rate_bps:
            return 0.0
        queued = sum(nb.queued_bytes() for nb in self.neighbours.values())
        return self.uplink.backlog_s() + queued * 8 / self.uplink.rate_bps

    def _deadline(self, block: Block) -> float:
        """Until when a block is worth sending: a viewer that stalled plays up to ``CATCH_UP_S`` later than the
        stream's delay (its lag) before it skips ahead. Dropping at the delay itself starved every viewer whose blocks
        came later than that: it waited for blocks its parents had thrown away, skipped, and stalled again."""
        return block.capture_ms / 1000 + self.config.delay_s + CATCH_UP_S

    def _forward(self, block: Block, source: object) -> None:
        """Push a new verified block to its stripe's children, in parts; a child that was relayed the block's first
        parts as they arrived gets the rest (with the completing part, withheld until now)."""
        stripe = stripe_of(block.seq, self.config.stripes)
        bit = 1 << stripe
        relay = self._relays.finish(block.seq, source)
        deadline = self._deadline(block)
        frames: dict[int, bytes] = {}
        for nb in self.neighbours.values():
            # A subscribed child gets the push even if it pulled the block already: a parent that skipped such
            # blocks would look stale to its child and be dropped, and the tree would fall apart into pulls.
            if nb is source or not nb.subscribed_mask & bit:
                continue
            start = 0 if relay is None or nb.abandoned(block.seq) else relay.sent.get(nb.node_id, 0)
            self._push(nb, block, deadline, start, frames, rank=0 if nb.relays(stripe) else 1)

    @staticmethod
    def _push(
        nb: Neighbour, block: Block, deadline: float, start: int, frames: dict[int, bytes], *, rank: int = 0
    ) -> None:
        """Queue ``block`` from byte ``start`` on to ``nb`` as parts (``frames``: the part frames already built for
        other children, by offset)."""
        for offset, data in cut_through.split(block.wire, start):
            if offset not in frames:
                frames[offset] = wire.part(block.seq, len(block.wire), offset, data)
            last = offset + len(data) == len(block.wire)
            nb.send_part(block.seq, deadline, frames[offset], first=offset == 0, last=last, offset=offset, rank=rank)

    # ---- stripe trees (the logic: stripe_tree.StripeTrees) -----------------------------------------------------

    def _on_subscribe(self, nb: Neighbour, mask: int) -> None:
        neighbours = list(self.neighbours.values())
        before = nb.subscribed_mask
        displaced = self._tree.grant(nb, mask, neighbours)
        self._send_status(nb, neighbours)
        for child in displaced:
            self._send_status(child, neighbours)
        if self.config.is_origin:
            self._catch_up(nb, nb.subscribed_mask & ~before)

    def _catch_up(self, root: Neighbour, new_stripes: int) -> None:
        """A new stripe root gets the stripe's block of the last second, made while the stripe had no root (its
        old one left): nobody else holds that block, and every viewer of the stripe would ask the origin's HTTP
        for it at once (one such block cost 39 viewers a skip). A root that had it drops the copy as a duplicate.
        """
        newest = self.store.newest
        if not new_stripes or newest is None:
            return
        now_ms = time.time() * 1000
        for seq in range(newest, newest - self.config.stripes, -1):
            block = self.store.get(seq)
            if block is None or not new_stripes >> stripe_of(seq, self.config.stripes) & 1:
                continue
            if now_ms - block.capture_ms < 1000 + self.config.block_ms:
                self._push(root, block, self._deadline(block), 0, {})

    def _send_status(self, nb: Neighbour, neighbours: list[Neighbour] | None = None) -> None:
        neighbours = list(self.neighbours.values()) if neighbours is None else neighbours
        slots, relaying = self._tree.slots(neighbours), self._tree.relaying(neighbours)
        nb.send_control(self._tree.status_frame(nb, slots, relaying, self._tree.displaceable(neighbours)))

    async def _tree_loop(self) -> None:
        rounds = 0
        told: tuple[object, ...] = ()
        while True:
            neighbours = list(self.neighbours.values())
            now = time.monotonic()
            if not self.config.is_origin:
                self._tree.keep_parents(neighbours, now, newest=self.store.newest)
            slots, relaying = self._tree.slots(neighbours), self._tree.relaying(neighbours)
            if self.config.is_origin:
                self._tree.root_gaps.update(slots, now)
            displaceable = self._tree.displaceable(neighbours)
            advertised = self._tree.advertised(slots, relaying, displaceable)
            if rounds % 4 == 0 or advertised != told:  # a changed route, slot count or relaying is told at once
                told = advertised
                for nb in neighbours:
                    nb.send_control(self._tree.status_frame(nb, slots, relaying, displaceable))
            rounds += 1
            self._forget_stale_assemblies()
            self._tree_wake.clear()
            await self._tree_wake.wait(0.25)

    def _forget_stale_assemblies(self) -> None:
        """Unfinished pushed blocks older than any deadline are dropped from every connection: their senders gave
        them up (late) or stopped being our parent, and nothing else would ever free them."""
        newest = self.store.newest
        if newest is None:
            return
        span = int((self.config.delay_s + CATCH_UP_S) * 1000 / self.config.block_ms) + 2
        for nb in self.neighbours.values():
            nb.assembler.forget_before(newest - span)

    def has_parent(self, stripe: int) -> bool:
        """True while a parent with a route pushes this stripe to us (else repair pulls it at once)."""
        return self._tree.has_route(stripe)

    def arriving(self, seq: int) -> bool:
        """True while a push of ``seq`` is under way to us (its first parts came, the rest is on its way)."""
        return any(nb.assembler.in_progress(seq) for nb in self.neighbours.values())

    def home_stripe(self) -> int | None:
        """The stripe this viewer gives most of its push slots to (None: the origin, or not picked yet)."""
        return self._tree.home

    def stripe_hops(self) -> list[int]:
        return list(self._tree.hops)

    def tree_figures(self) -> dict[str, object]:
        return self._tree.counters.figures()

    def root_figures(self) -> dict[str, object]:
        """The origin's: how often and how long a stripe's root slot stayed free (``RootGaps``)."""
        return self._tree.root_gaps.figures(time.monotonic())

    # ---- advertisements --------------------------------------------------------------------------------------

    async def _have_loop(self) -> None:
        while True:
            # The origin advertises nothing: its upload is for the stripe roots and the HTTP last resort, not pulls.
            quiet = self.config.is_origin or not self.sharing  # a node that does not share advertises nothing
            if not quiet:
                self._advertise(time.monotonic())
            await asyncio.sleep(_HAVE_EVERY_S)

    def _advertise(self, now: float) -> None:
        """Send our HAVE where it is news, and at least every ``HAVE_HEARTBEAT_S`` to our children: a child tells a
        parent that is itself starved of a stripe (still alive, without the blocks) from one that holds blocks it
        did not push, and waits for the first to mend its own route (``StripeTrees``)."""
        if self.store.version != self._have_version or self._last_have is None:
            self._have_version = self.store.version
            have = self.store.have_map()
        else:
            have = self._last_have
        if have is None:
            return
        news, self._last_have = have != self._last_have, have
        heartbeat = now - self._heartbeat_at >= HAVE_HEARTBEAT_S
        if not (news or heartbeat):
            return  # most rounds: nothing new and no heartbeat due, so no neighbour is looked at
        if heartbeat:
            self._heartbeat_at = now
        frame = wire.have(*have)
        for nb in list(self.neighbours.values()):
            to_child = heartbeat and nb.subscribed_mask != 0
            if nb.is_origin or not (news or to_child):
                continue
            # A neighbour whose own HAVE lists all we hold would never ask us: half of all frames were HAVEs, each a
            # send, a timer and a read on a host of many viewers.
            if not to_child and nb.have is not None and nb.have.covers(*have):
                self.counters.haves_skipped += 1
                continue
            nb.send_control(frame)


def _delivered(nb: Neighbour, seq: int, stripes: int) -> None:
    """``nb`` sent us (a part of) block ``seq``: its stripe is alive on that connection."""
    stripe = stripe_of(seq, stripes)
    nb.last_block_at[stripe] = time.monotonic()
    if seq > nb.last_seq.get(stripe, -1):
        nb.last_seq[stripe] = seq


def _seq_of(block_wire: bytes) -> int:
    return int.from_bytes(block_wire[22:30], "big")  # the seq field of a well-formed block
