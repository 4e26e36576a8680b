"""Live blocks: about 250 ms of MPEG-TS each, with stream id, sequence number and capture time, Ed25519-signed.

Wire form (big-endian), every field covered by the signature::

    magic "BCLB" | version u8 | flags u8 | stream id 16 | seq u64 | capture ms u64 | payload | signature 64

The header holds no length (the frame or the last part says where the block ends), so the broadcaster can send a
block's first bytes while the encoder still makes the rest (``OpenBlock``): the swarm carries a block as it is
filled, and only its last bytes and the signature travel after it is complete.

``flags`` bit 0: the payload starts at a keyframe (a viewer may start or resume there); bit 1: the payload is
AES-256-CTR ciphertext under the stream key (paid streams). The signature covers the ciphertext, so a viewer
without a ticket verifies and relays blocks it cannot read. Parsing is strict: wrong magic, version, length or
a payload past ``MAX_PAYLOAD`` is refused before any signature work. Pure functions and one builder object
(``OpenBlock``: one thread); safe from any thread.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.bundle import ContentCipher, LiveSection, load_public_key
from app.live.errors import ForgedBlockError, MalformedBlockError

MAGIC = b"BCLB"
VERSION = 2  # 1 had a payload length in its header
FLAG_KEYFRAME = 0x01
FLAG_ENCRYPTED = 0x02
_KNOWN_FLAGS = FLAG_KEYFRAME | FLAG_ENCRYPTED
_HEADER = struct.Struct(">4sBB16sQQ")
HEADER_SIZE = _HEADER.size
SIGNATURE_SIZE = 64
# 250 ms at 8 Mbit/s is 250 KB; a keyframe block of a sane stream stays far below this.
MAX_PAYLOAD = 512 * 1024
MAX_BLOCK_SIZE = HEADER_SIZE + MAX_PAYLOAD + SIGNATURE_SIZE
_SIGNING_CONTEXT = b"bundlecast/live-block/v2\x00"
_NONCE_CONTEXT = b"bundlecast/live-nonce/v1"


@dataclass(frozen=True, slots=True)
class Block:
    """One signed block as it travels: the parsed header and the wire bytes; the payload (maybe ciphertext) and the
    signature are cut from the wire bytes when asked (a store of many blocks used to hold every payload twice)."""

    stream_id: bytes
    seq: int
    capture_ms: int
    flags: int
    wire: bytes

    @property
    def payload(self) -> bytes:
        return self.wire[HEADER_SIZE : len(self.wire) - SIGNATURE_SIZE]

    @property
    def signature(self) -> bytes:
        return self.wire[len(self.wire) - SIGNATURE_SIZE :]

    @property
    def keyframe(self) -> bool:
        return bool(self.flags & FLAG_KEYFRAME)

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & FLAG_ENCRYPTED)


class StreamSigner:
    """The broadcaster's private stream key: makes signed (and, for paid streams, encrypted) blocks."""

    def __init__(self, private_key: Ed25519PrivateKey, stream_id: bytes, content_key: bytes | None = None) -> None:
        if len(stream_id) != 16:
            raise MalformedBlockError("a stream id has 16 bytes")
        self._key = private_key
        self.stream_id = stream_id
        self._content_key = content_key

    @classmethod
    def generate(cls, stream_id: bytes, content_key: bytes | None = None) -> StreamSigner:
        return cls(Ed25519PrivateKey.generate(), stream_id, content_key)

    @property
    def public_key_raw(self) -> bytes:
        return self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def private_bytes(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )

    def make_block(self, seq: int, capture_ms: int, payload: bytes, *, keyframe: bool) -> Block:
        block = self.open_block(seq, capture_ms, keyframe=keyframe)
        block.add(payload)
        return block.close()

    def open_block(self, seq: int, capture_ms: int, *, keyframe: bool) -> OpenBlock:
        """A block whose payload is still being made: its bytes can travel before it is signed."""
        flags = FLAG_KEYFRAME if keyframe else 0
        cipher = None
        if self._content_key is not None:
            cipher = _cipher(self._content_key, self.stream_id, seq)
            flags |= FLAG_ENCRYPTED
        header = _HEADER.pack(MAGIC, VERSION, flags, self.stream_id, seq, capture_ms)
        return OpenBlock(Block(self.stream_id, seq, capture_ms, flags, header), cipher, self._sign)

    def _sign(self, signed: bytes) -> bytes:
        return self._key.sign(_SIGNING_CONTEXT + signed)


class OpenBlock:
    """A block the broadcaster is still filling: its wire bytes so far (header first), signed when closed."""

    def __init__(self, head: Block, cipher: ContentCipher | None, sign: Callable[[bytes], bytes]) -> None:
        self._head = head  # the header fields, and the header as its wire bytes
        self._cipher = cipher
        self._sign = sign
        self._wire = bytearray(head.wire)
        self.plain_bytes = 0  # payload added so far

    @property
    def seq(self) -> int:
        return self._head.seq

    @property
    def capture_ms(self) -> int:
        return self._head.capture_ms

    def add(self, plain: bytes) -> None:
        """Append payload (encrypted here for a paid stream)."""
        if self.plain_bytes + len(plain) > MAX_PAYLOAD:
            raise MalformedBlockError(f"a block payload is at most {MAX_PAYLOAD} bytes")
        data = plain if self._cipher is None else self._cipher.encrypt_at(self.plain_bytes, plain)
        self._wire += data
        self.plain_bytes += len(plain)

    def wire_from(self, start: int) -> bytes:
        """The wire bytes made so far, from ``start`` on (the header is at 0)."""
        return bytes(self._wire[start:])

    def size(self) -> int:
        """Wire bytes made so far (no signature yet)."""
        return len(self._wire)

    def close(self) -> Block:
        """The finished, signed block."""
        signed = bytes(self._wire)
        head = self._head
        return Block(head.stream_id, head.seq, head.capture_ms, head.flags, signed + self._sign(signed))


def parse_header(data: bytes) -> tuple[bytes, int, int]:
    """Stream id, seq and capture ms from a block's first bytes (structure only)."""
    if len(data) < HEADER_SIZE:
        raise MalformedBlockError("a block's first part is shorter than its header")
    magic, version, flags, stream_id, seq, capture_ms = _HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION or flags & ~_KNOWN_FLAGS:
        raise MalformedBlockError("not a live block header of a version this app knows")
    return stream_id, seq, capture_ms


def parse_block(data: bytes) -> Block:
    """The block in ``data`` — structure only; call ``BlockVerifier.verify`` before trusting it."""
    if len(data) < HEADER_SIZE + SIGNATURE_SIZE or len(data) > MAX_BLOCK_SIZE:
        raise MalformedBlockError(f"a block of {len(data)} bytes is out of bounds")
    magic, version, flags, stream_id, seq, capture_ms = _HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION:
        raise MalformedBlockError("not a live block of a version this app knows")
    if flags & ~_KNOWN_FLAGS:
        raise MalformedBlockError("a live block with unknown flags")
    return Block(stream_id, seq, capture_ms, flags, bytes(data))


class BlockVerifier:
    """Checks blocks against the stream key the store vouched for in the live bundle's signed manifest."""

    def __init__(self, stream_id: bytes, public_key: Ed25519PublicKey) -> None:
        self.stream_id = stream_id
        self.public_key = public_key

    @classmethod
    def from_section(cls, section: LiveSection) -> BlockVerifier:
        return cls(bytes.fromhex(section.stream_id), load_public_key(section.stream_public_key))

    def verify(self, block: Block) -> Block:
        """A block with ``block``'s bytes (``block`` itself here; a shared verifier may return the identical copy it
        verified before) if it belongs to this stream and its signature holds; ForgedBlockError otherwise."""
        if block.stream_id != self.stream_id:
            raise ForgedBlockError("a block of another stream")
        signed = block.wire[: len(block.wire) - SIGNATURE_SIZE]
        try:
            self.public_key.verify(block.signature, _SIGNING_CONTEXT + signed)
        except InvalidSignature as exc:
            raise ForgedBlockError("a block whose signature does not match the stream key") from exc
        return block

    def parse_and_verify(self, data: bytes) -> Block:
        return self.verify(parse_block(data))


def decrypt_payload(block: Block, content_key: bytes) -> bytes:
    """The plaintext TS of a paid stream's block (in memory only)."""
    if not block.encrypted:
        return block.payload
    return _cipher(content_key, block.stream_id, block.seq).decrypt_at(0, block.payload)


def _cipher(content_key: bytes, stream_id: bytes, seq: int) -> ContentCipher:
    # One nonce per (stream, seq): CTR keystreams never repeat across blocks of one key.
    nonce = hashlib.sha256(_NONCE_CONTEXT + stream_id + seq.to_bytes(8, "big")).digest()[:16]
    return ContentCipher(content_key, nonce)


def swarm_info_hash(stream_id: bytes) -> bytes:
    """The 20-byte id under which a stream's live swarm announces to the store's tracker (BEP 3)."""
    return hashlib.sha1(b"bundlecast/live-swarm/v1" + stream_id, usedforsecurity=False).digest()
