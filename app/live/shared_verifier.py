"""One block verifier for the many viewers of one process: each block's signature is checked once, not once a copy.

A viewer host (``app.live.viewer_host``) runs dozens of viewers; every one of them receives its own copy of every
block from the swarm and used to check its Ed25519 signature — the same bytes, dozens of times (about 11 % of a host's
CPU). ``SharedBlockVerifier`` remembers the blocks whose signature held, by sequence number: a copy whose wire bytes
are identical to a remembered block is that block (its signature was checked on these very bytes), and the remembered
``Block`` object is returned, so the viewers' stores also share one copy of the bytes instead of holding one each.
Anything else — another stream, other bytes under a remembered number, a number not remembered — gets the full check.
The memory is bounded: the newest ``capacity`` blocks. One event loop (not thread-safe, like the node it serves).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.live.blocks import Block, BlockVerifier

DEFAULT_CAPACITY = 96  # blocks: a store's window (64) plus a late joiner's margin


class SharedBlockVerifier(BlockVerifier):
    def __init__(self, stream_id: bytes, public_key: Ed25519PublicKey, *, capacity: int = DEFAULT_CAPACITY) -> None:
        super().__init__(stream_id, public_key)
        self._capacity = capacity
        self._verified: dict[int, Block] = {}  # seq -> the block whose signature held (insertion order)
        self.checks = 0  # signatures actually checked
        self.shared = 0  # copies recognised as an already verified block

    @classmethod
    def sharing(cls, verifier: BlockVerifier, *, capacity: int = DEFAULT_CAPACITY) -> SharedBlockVerifier:
        """The same stream key as ``verifier``, with the memory of verified blocks."""
        return cls(verifier.stream_id, verifier.public_key, capacity=capacity)

    def verify(self, block: Block) -> Block:
        known = self._verified.get(block.seq)
        if known is not None and known.stream_id == block.stream_id and known.wire == block.wire:
            self.shared += 1
            return known
        super().verify(block)  # raises ForgedBlockError: nothing is remembered
        self.checks += 1
        self._verified.pop(block.seq, None)
        self._verified[block.seq] = block
        while len(self._verified) > self._capacity:
            del self._verified[next(iter(self._verified))]
        return block

    def remembered(self) -> int:
        return len(self._verified)
