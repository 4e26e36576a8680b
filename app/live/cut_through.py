"""Cut-through forwarding: blocks pushed in parts that a relay passes on as they arrive, never the last unverified.

A block pushed down a stripe tree travels as PART frames of at most ``PART_SIZE`` bytes. A relay forwards each part
to its subscribed children as soon as it has it — so a hop costs a part's time on the uplink, not a whole block's
(a 47 KB block takes 125 ms to leave a 3 Mbit/s uplink, a 8 KiB part 22 ms) — except the part that completes the
block: that one it sends only after the whole block passed ``BlockStore.admit`` (signature checked). A forged block
therefore never arrives whole at anyone behind an honest relay: its children hold an unfinished assembly that is
discarded, and only the peer that sent the forged block's last part is dropped. Play-out sees only admitted blocks.

``PartAssembler`` (one per connection) puts a sender's parts back together: they come in order on one TCP stream; a
part that does not continue its block (the sender dropped one as late) ends that assembly silently. ``RelayBook``
(one per node) remembers, per block being relayed, which connection it comes from and how far each child got, so
the verified block's remaining bytes continue each child's assembly. The broadcaster's origin uses it too for the
block it is still making: it sends *open* parts (the block's size not known yet, ``Part.total`` 0) as the encoder
fills the block, and its last bytes and signature once it is signed; a relay passes open parts on like any other.
Runs on the node's loop.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from app.live.wire import Part

PART_SIZE = 8 * 1024
MAX_ASSEMBLIES = 12  # blocks in progress per connection; the oldest is discarded past this
MAX_RELAYS = 64


def split(data: bytes, start: int = 0) -> list[tuple[int, bytes]]:
    """``data`` from ``start`` on as (offset, bytes) parts; the first part of a block carries its whole header."""
    return [(offset, data[offset : offset + PART_SIZE]) for offset in range(start, len(data), PART_SIZE)]


class PartAssembler:
    """One connection's blocks in progress: bounded in number and (by ``wire.MAX_FRAME``) in size."""

    def __init__(self) -> None:
        # seq -> (the parts as they came, how many bytes of the block arrived); joined once, when complete
        self._blocks: OrderedDict[int, tuple[list[bytes], int]] = OrderedDict()

    def start(self, part: Part) -> None:
        self._blocks.pop(part.seq, None)
        # No buffer grown part by part (a reallocation every 8 KiB fragmented the heap of a many-viewer process),
        # none allocated at the size the header claims either (a 16-byte part could then cost 512 KiB).
        self._blocks[part.seq] = ([part.data], len(part.data))
        while len(self._blocks) > MAX_ASSEMBLIES:
            self._blocks.popitem(last=False)

    def extend(self, part: Part) -> bool:
        """Append a later part; False (and the assembly forgotten) if it does not continue one."""
        held = self._blocks.get(part.seq)
        if held is None:
            return False
        parts, filled = held
        if filled != part.offset:
            del self._blocks[part.seq]
            return False
        parts.append(part.data)
        self._blocks[part.seq] = (parts, part.end)
        return True

    def forget_before(self, seq: int) -> int:
        """Drop the assemblies of blocks older than ``seq`` (their senders stopped: dropped as late, or no longer our
        parent); how many. Without this each connection kept up to ``MAX_ASSEMBLIES`` unfinished blocks for as long
        as it lived — the memory of a many-viewer host grew for minutes as parents changed."""
        stale = [s for s in self._blocks if s < seq]
        for old in stale:
            del self._blocks[old]
        return len(stale)

    def held(self) -> int:
        """Blocks in progress."""
        return len(self._blocks)

    def in_progress(self, seq: int) -> bool:
        """True while parts of ``seq`` are arriving on this connection."""
        return seq in self._blocks

    def take_if_complete(self, part: Part) -> bytes | None:
        """The whole block once ``part`` completed it (the assembly is then forgotten)."""
        held = self._blocks.get(part.seq)
        if held is None or not part.total or held[1] < part.total:  # an open part never completes a block
            return None
        del self._blocks[part.seq]
        return b"".join(held[0])


@dataclass(slots=True)
class Relay:
    source: object  # the connection whose parts we pass on
    sent: dict[bytes, int] = field(default_factory=dict)  # child node id -> bytes of the block it was sent
    deadline: float = 0.0  # wall clock: the block's play-out deadline (from its header)


class RelayBook:
    """Per block seq being relayed: its source connection and each child's progress."""

    def __init__(self) -> None:
        self._relays: OrderedDict[int, Relay] = OrderedDict()

    def on_part(self, source: object, part: Part) -> Relay | None:
        """The relay ``part`` continues (a new one on a block's first part), or None if it is not ours to pass."""
        relay = self._relays.get(part.seq)
        if part.offset == 0 and (relay is None or relay.source is source):
            relay = self._relays[part.seq] = Relay(source)  # a restart: children restart from 0 too
            while len(self._relays) > MAX_RELAYS:
                self._relays.popitem(last=False)
            return relay
        if relay is None or relay.source is not source:
            return None
        return relay

    def finish(self, seq: int, source: object) -> Relay | None:
        """The relay of a block now admitted whole, if it came from ``source`` (the bytes children got are its)."""
        relay = self._relays.pop(seq, None)
        return relay if relay is not None and relay.source is source else None
