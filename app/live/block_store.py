"""A node's window of recent verified blocks, and the gatekeeper every arriving block passes.

``admit`` decides before any signature work whether a block can be new: a sequence number already held is a
duplicate (the same bytes) or a forgery (other bytes — an honest stream signs one block per number); a block
captured more than ``max_age_s`` ago, implausibly far in the future, or older than the window is out of window
(a replay). Only then is the signature checked. The store keeps the newest ``capacity`` blocks: memory is bounded
whatever peers send. Runs on the node's loop.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass

from app.live.blocks import HEADER_SIZE, SIGNATURE_SIZE, Block, BlockVerifier, parse_block, parse_header
from app.live.errors import ForgedBlockError, MalformedBlockError


class Admission(enum.Enum):
    NEW = "new"
    DUPLICATE = "duplicate"
    OUT_OF_WINDOW = "out_of_window"
    FORGED = "forged"
    MALFORMED = "malformed"


@dataclass(slots=True)
class RejectionCounters:
    forged: int = 0
    malformed: int = 0
    out_of_window: int = 0
    duplicates: int = 0


class BlockStore:
    def __init__(
        self, verifier: BlockVerifier, *, capacity: int = 64, max_age_s: float = 20.0, max_ahead_s: float = 10.0
    ) -> None:
        self._verifier = verifier
        self._capacity = capacity
        self._max_age_s = max_age_s
        self._max_ahead_s = max_ahead_s
        self._blocks: dict[int, Block] = {}
        self.newest: int | None = None
        self.version = 0  # bumped on every change: advertisements are recomputed only then
        self.rejected = RejectionCounters()

    def get(self, seq: int) -> Block | None:
        return self._blocks.get(seq)

    def __contains__(self, seq: int) -> bool:
        return seq in self._blocks

    def oldest(self) -> int | None:
        return min(self._blocks) if self._blocks else None

    def admit(self, data: bytes, *, now: float | None = None) -> tuple[Admission, Block | None]:
        """Parse, screen and verify ``data``; a NEW block is stored and returned."""
        now = time.time() if now is None else now
        try:
            block = parse_block(data)
        except MalformedBlockError:
            self.rejected.malformed += 1
            return Admission.MALFORMED, None
        refused = self._screen(block.stream_id, block.seq, block.capture_ms, block.wire, now)
        if refused is not None:
            return refused, None
        try:
            block = self._verifier.verify(block)  # a shared verifier hands back the copy other viewers hold
        except ForgedBlockError:
            self.rejected.forged += 1
            return Admission.FORGED, None
        self.put(block)
        return Admission.NEW, block

    def screen_first_part(self, part: bytes, seq: int, total: int, *, now: float | None = None) -> Admission | None:
        """Why a block whose first ``part`` arrived cannot be new (before relaying any of it), or None.

        A held seq is DUPLICATE here: the rest of the bytes are not in yet, and the sender may honestly not know we
        hold it. A header that contradicts the part's own seq, or a size (``total``: 0 while the block is being made)
        too small for a block, is MALFORMED.
        """
        now = time.time() if now is None else now
        try:
            stream_id, header_seq, capture_ms = parse_header(part)
        except MalformedBlockError:
            self.rejected.malformed += 1
            return Admission.MALFORMED
        if header_seq != seq or (total and total < HEADER_SIZE + SIGNATURE_SIZE):
            self.rejected.malformed += 1
            return Admission.MALFORMED
        if seq in self._blocks and stream_id == self._verifier.stream_id:
            self.rejected.duplicates += 1
            return Admission.DUPLICATE
        return self._screen(stream_id, seq, capture_ms, None, now)

    def _screen(self, stream_id: bytes, seq: int, capture_ms: int, data: bytes | None, now: float) -> Admission | None:
        """Why a block cannot be new (checked before any signature work), or None."""
        if stream_id != self._verifier.stream_id:
            self.rejected.forged += 1
            return Admission.FORGED
        held = self._blocks.get(seq)
        if held is not None:
            if held.wire == data:
                self.rejected.duplicates += 1
                return Admission.DUPLICATE
            self.rejected.forged += 1  # an honest stream signs one block per number
            return Admission.FORGED
        capture_s = capture_ms / 1000
        too_old = len(self._blocks) >= self._capacity and seq < min(self._blocks)
        if capture_s < now - self._max_age_s or capture_s > now + self._max_ahead_s or too_old:
            self.rejected.out_of_window += 1
            return Admission.OUT_OF_WINDOW
        return None

    def put(self, block: Block) -> None:
        """Store a block known to be good (the origin's own, or one ``admit`` verified)."""
        self._blocks[block.seq] = block
        self.version += 1
        if self.newest is None or block.seq > self.newest:
            self.newest = block.seq
        while len(self._blocks) > self._capacity:
            del self._blocks[min(self._blocks)]

    def clear(self) -> None:
        """Forget every block (a stopped node: its objects may wait for the cyclic GC, its blocks need not)."""
        self._blocks.clear()
        self.version += 1

    def held(self) -> int:
        return len(self._blocks)

    def have_map(self) -> tuple[int, int] | None:
        """The newest sequence number held and the bitmap of the 64 before it (for a HAVE frame)."""
        if self.newest is None:
            return None
        bits = 0
        for i in range(64):
            if self.newest - 1 - i in self._blocks:
                bits |= 1 << i
        return self.newest, bits

    def reference(self) -> Block | None:
        """The newest block held: the anchor for estimating when missing blocks were captured."""
        return None if self.newest is None else self._blocks.get(self.newest)
