"""The encrypting pass of a publication: each file is read once, encrypted (AES-256-CTR, one cipher context per
file) into a small pool of reused piece-sized buffers, written to its ``.part`` file, and hashed into the hybrid
torrent's v1 SHA-1s and v2 SHA-256 tree on two hashing threads of this pass (hashlib releases the GIL) while the
next chunk is read, encrypted and written.

Why it is shaped this way (measured, docs/FIELD-NOTES-FOUND.md "Publishing speed"): a chunk is one piece (256 KiB),
so the ciphertext both hashers read is still in the CPU's cache, and the kernel's copy into the page cache costs
far less than with 1 MiB chunks; buffers are reused (``readinto`` + ``update_into``), so no chunk allocates; the
hand-off is C ``SimpleQueue``s, bounded by the pool itself (the encrypting thread waits for a free buffer), so
memory stays ``POOL`` chunks whatever the size. Runs on the publishing job's thread; the hashing threads end in
``close``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from io import FileIO
from pathlib import Path

from app.bundle import ContentCipher
from app.bundle.cipher import CipherStream
from app.engine import FileHasher
from app.library.publishing.errors import PublishCancelled, PublishError
from app.library.publishing.request import PIECE_SIZE

CHUNK = PIECE_SIZE  # one piece: both hashers read it while it is still in cache
POOL = 8  # buffers in flight: the encrypting thread runs at most this far ahead of the slower hasher
REPORT_EVERY = 1 << 20  # progress at most once a MiB: the UI gets a queued signal for each report


class _Chunk:
    """One reused buffer; ``users`` counts the hashing threads that still read it."""

    __slots__ = ("buffer", "users", "view")

    def __init__(self) -> None:
        self.buffer = bytearray(CHUNK + CipherStream.SLACK)
        self.view = memoryview(self.buffer)
        self.users = 0


class ChunkPipeline:
    """A pool of ``POOL`` chunk buffers and, when ``hashing``, the two hashing threads (v1, v2) that read them.

    The encrypting thread ``take``s a free buffer, fills it, and either ``hand_over``s it to both hashers (it
    returns to the pool when both are done) or ``give_back``s it.
    """

    def __init__(self, *, hashing: bool) -> None:
        self._free: queue.SimpleQueue[_Chunk] = queue.SimpleQueue()
        for _ in range(POOL):
            self._free.put(_Chunk())
        self._lock = threading.Lock()
        self._work: dict[str, queue.SimpleQueue[tuple[FileHasher, _Chunk, int] | None]] = {}
        self._threads: list[threading.Thread] = []
        self._done: list[FileHasher] = []
        self._error: BaseException | None = None
        if hashing:
            for part in ("v1", "v2"):
                self._work[part] = queue.SimpleQueue()
                thread = threading.Thread(target=self._run, args=(part,), name=f"publish-hash-{part}", daemon=True)
                self._threads.append(thread)
                thread.start()

    @property
    def hashing(self) -> bool:
        return bool(self._threads)

    def take(self) -> _Chunk:
        """A free buffer (waits while every buffer is still being hashed)."""
        return self._free.get()

    def give_back(self, chunk: _Chunk) -> None:
        self._free.put(chunk)

    def hand_over(self, hasher: FileHasher, chunk: _Chunk, size: int) -> None:
        """Hash ``chunk.view[:size]`` as the next bytes of ``hasher``'s file; the buffer comes back by itself."""
        chunk.users = len(self._work)
        for jobs in self._work.values():
            jobs.put((hasher, chunk, size))

    def finish(self, hasher: FileHasher) -> None:
        self._done.append(hasher)

    def _release(self, chunk: _Chunk) -> None:
        with self._lock:
            chunk.users -= 1
            last = chunk.users == 0
        if last:
            self._free.put(chunk)

    def _run(self, part: str) -> None:
        jobs = self._work[part]
        while (item := jobs.get()) is not None:
            hasher, chunk, size = item
            try:
                if self._error is None:
                    hasher.feed(chunk.view[:size], part)
            except BaseException as exc:  # reported to the publishing thread by close()
                self._error = exc
            finally:
                self._release(chunk)

    def close(self, *, check: bool = True) -> list[FileHasher]:
        """Stop the hashing threads; returns the finished hashers (``PublishError`` if hashing failed), or, with
        ``check`` False (the pass failed already), nothing."""
        for jobs in self._work.values():
            jobs.put(None)
        for thread in self._threads:
            thread.join()
        if not check:
            return []
        if self._error is not None:
            raise PublishError(f"Hashing the bundle failed: {self._error}")
        for hasher in self._done:
            hasher.finish()
        return self._done


def _read_full(source: FileIO, into: memoryview) -> int:
    """Fill ``into`` unless the file ends first (chunks stay piece-aligned); returns the bytes read."""
    filled = 0
    while filled < len(into):
        got = source.readinto(into[filled:])
        if not got:
            break
        filled += got
    return filled


def _write_all(target: FileIO, data: memoryview) -> None:
    written = 0
    while written < len(data):
        written += target.write(data[written:]) or 0


def encrypt_file(
    source: Path,
    part: Path,
    cipher: ContentCipher | None,
    *,
    pipeline: ChunkPipeline,
    hasher: FileHasher | None,
    cancel: threading.Event,
    report: Callable[[int], None],
) -> int:
    """Encrypt (``cipher``) or copy ``source`` into ``part``, handing every chunk written to ``hasher``; returns the
    bytes written. ``report(bytes written)`` about once a MiB; ``PublishCancelled`` between chunks when ``cancel``
    is set."""
    stream = cipher.stream_at(0) if cipher is not None else None
    plain = memoryview(bytearray(CHUNK)) if stream is not None else None
    offset, next_report = 0, REPORT_EVERY
    with source.open("rb", buffering=0) as src, part.open("wb", buffering=0) as dst:
        while True:
            if cancel.is_set():
                raise PublishCancelled("cancelled")
            chunk = pipeline.take()
            if stream is not None and plain is not None:
                size = _read_full(src, plain)
                if size:
                    stream.transform_into(plain[:size], chunk.buffer)
            else:
                size = _read_full(src, chunk.view[:CHUNK])
            if size:
                _write_all(dst, chunk.view[:size])
            if size and hasher is not None:
                pipeline.hand_over(hasher, chunk, size)
            else:
                pipeline.give_back(chunk)
            if not size:
                return offset
            offset += size
            if offset >= next_report:
                report(offset)
                next_report = offset + REPORT_EVERY


def hash_file(path: Path, *, pipeline: ChunkPipeline, hasher: FileHasher, cancel: threading.Event) -> None:
    """Hash a file a crashed job had already written whole (it is not written again)."""
    with path.open("rb", buffering=0) as src:
        while True:
            if cancel.is_set():
                raise PublishCancelled("cancelled")
            chunk = pipeline.take()
            size = _read_full(src, chunk.view[:CHUNK])
            if not size:
                pipeline.give_back(chunk)
                return
            pipeline.hand_over(hasher, chunk, size)
