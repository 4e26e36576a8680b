"""Decrypting readers: a locked file's ciphertext in, plaintext out — in memory only, never to disk.

AES-256-CTR keeps plaintext and ciphertext the same length, so offset N of the plaintext is offset N of the
ciphertext and a seek needs only the right counter (``ContentCipher.decrypt_at``). Blocks are decrypted as they
are read; the server asks for 256 KiB at a time (engine reads are short only at the edge of what is
verified), well above the 64 KiB under which a new cipher object per
call starts to cost (FIELD-NOTES). Runs on the stream server's request threads.
"""

from __future__ import annotations

from app.bundle import ContentCipher
from app.player.sources import ByteReader, ByteSource


class DecryptingReader:
    """Wraps a ciphertext reader positioned at ``offset``; returns plaintext."""

    def __init__(self, inner: ByteReader, cipher: ContentCipher, offset: int) -> None:
        self._inner = inner
        self._cipher = cipher
        self._offset = offset

    def read(self, n: int) -> bytes:
        data = self._inner.read(n)
        if not data:
            return b""
        plain = self._cipher.decrypt_at(self._offset, data)
        self._offset += len(data)
        return plain

    def close(self) -> None:
        self._inner.close()


class DecryptingSource:
    """A locked file's source: the ciphertext source wrapped with the file's key and nonce."""

    def __init__(self, inner: ByteSource, key: bytes, nonce: bytes) -> None:
        self._inner = inner
        self._cipher = ContentCipher(key, nonce)

    @property
    def size(self) -> int:
        return self._inner.size

    @property
    def content_type(self) -> str:
        return self._inner.content_type

    def open_at(self, offset: int) -> ByteReader:
        return DecryptingReader(self._inner.open_at(offset), self._cipher, offset)
