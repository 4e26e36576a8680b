"""``TorrentStream``: a file-like reader over one file of a torrent that is still downloading.

Usable from any thread (``close`` from another thread wakes a blocked ``read``). It returns bytes only from
verified pieces, read from disk through libtorrent's storage (``piece_reader`` says why not the file
itself). While open it steers libtorrent's picker (FIELD-NOTES, "Streaming start"): the file's first piece
and its last ~128 KiB are asked for first (container headers and indexes), a window of top-priority pieces
runs ahead of the read position — sized in bytes from the current download rate times a number of seconds,
within bounds — and moves on seek; the piece a read is blocked on gets a deadline of 0. Waiting is woken by
piece completion (``PieceSignal``), bounded by a timeout and cancelled by ``close``. The engine gives normal
picking back when the last stream of a torrent closes.
"""

from __future__ import annotations

import io
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from types import TracebackType

import libtorrent as lt

from app.engine.errors import StreamClosedError, StreamTimeoutError
from app.engine.piece_reader import PieceReader

TAIL_BYTES = 128 * 1024
WINDOW_SECONDS = 15.0
WINDOW_MIN_BYTES = 4 * 1024 * 1024
WINDOW_MAX_BYTES = 48 * 1024 * 1024
MAX_READ_BYTES = 8 * 1024 * 1024
TOP_PRIORITY = 7
TAIL_DEADLINE_MS = 300
CACHED_PIECES = 4
_SEQUENTIAL = int(lt.torrent_flags.sequential_download)


class PieceSignal:
    """Wakes stream readers when any piece of any torrent completes (set by the alert thread)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0

    def generation(self) -> int:
        with self._cond:
            return self._generation

    def notify(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> None:
        """Wait until the generation moves past ``seen`` or ``timeout`` seconds pass."""
        with self._cond:
            if self._generation == seen:
                self._cond.wait(timeout)


def _graded_priority(distance: int, piece_length: int, span: int) -> int:
    """Priority of a window piece ``distance`` pieces ahead of the reader: 7 for the one it reads, 6 within the
    first eighth of the window's bytes, 5 for the rest — equal priorities are picked in random order, so the
    bands stay narrow near the reader."""
    if distance == 0:
        return TOP_PRIORITY
    return TOP_PRIORITY - 1 if distance * piece_length < span // 8 else TOP_PRIORITY - 2


@dataclass(frozen=True, slots=True)
class StreamFile:
    """Where one file sits in its torrent's pieces and on disk."""

    file_index: int
    offset: int  # of the file's first byte in the torrent's byte space
    size: int
    piece_length: int
    num_pieces: int
    base_priority: Callable[[], int]  # the file's own priority, for pieces leaving the window

    def piece_at(self, position: int) -> int:
        return (self.offset + position) // self.piece_length

    def piece_end(self, piece: int) -> int:
        """Position in the file just after ``piece``."""
        return (piece + 1) * self.piece_length - self.offset


class TorrentStream(io.RawIOBase):
    """A seekable reader of one file; see the module docstring."""

    def __init__(  # noqa: PLR0917 - built by the engine only
        self,
        handle: lt.torrent_handle,
        file: StreamFile,
        signal: PieceSignal,
        reader: PieceReader,
        download_rate: Callable[[], int],
        on_close: Callable[[TorrentStream], None],
        timeout: float = 30.0,
    ) -> None:
        super().__init__()
        self._handle = handle
        self._file = file
        self._signal = signal
        self._reader = reader
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._download_rate = download_rate
        self._on_close = on_close
        self._timeout = timeout
        self._position = 0
        self._closed_event = threading.Event()
        self._read_lock = threading.Lock()
        self._have: set[int] = set()
        self._window: set[int] = set()
        self._window_start = -1
        self._sequential_dropped = False
        self._window_last = -1
        self._tail: set[int] = set()
        self._ask_head_and_tail()

    # --- io.RawIOBase ---------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return self._file.size

    @property
    def file_index(self) -> int:
        return self._file.file_index

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._position + offset
        elif whence == io.SEEK_END:
            target = self._file.size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if target < 0:
            raise ValueError("negative seek position")
        self._position = target
        if target < self._file.size:
            self._steer(self._file.piece_at(target))
        return target

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        memoryview(buffer)[: len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        """Verified bytes from the position on: at least one unless at end of file; waits when none yet."""
        self._check_open()
        with self._read_lock:
            position = self._position
            remaining = self._file.size - position
            if remaining <= 0:
                return b""
            wanted = remaining if size is None or size < 0 else min(size, remaining)
            if wanted == 0:
                return b""
            wanted = min(wanted, MAX_READ_BYTES)
            first = self._file.piece_at(position)
            self._steer(first)
            self._wait_for(first)
            data = self._read_verified(position, position + wanted)
            self._position = position + len(data)
            return data

    def close(self) -> None:
        """Stop reading (wakes a blocked read, which raises StreamClosedError) and give picking back."""
        if self._closed_event.is_set():
            return
        self._closed_event.set()
        self._signal.notify()
        self._reader.wake_all()
        try:
            self._on_close(self)
        finally:
            super().close()

    def __enter__(self) -> TorrentStream:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- picking ----------------------------------------------------------------------------------------
    def _ask_head_and_tail(self) -> None:
        file = self._file
        if file.size == 0:
            return
        tail_first = file.piece_at(max(0, file.size - TAIL_BYTES))
        tail_last = file.piece_at(file.size - 1)
        tail = list(range(tail_first, tail_last + 1))
        self._tail = set(tail)
        self._guard(lambda: self._handle.prioritize_pieces([(p, TOP_PRIORITY) for p in tail]))
        for piece in tail:
            self._guard(partial(self._handle.set_piece_deadline, piece, TAIL_DEADLINE_MS))
        self._steer(file.piece_at(0))

    def _steer(self, first: int) -> None:
        """Move the top-priority window so it starts at ``first``."""
        if first == self._window_start:
            return
        jumped_ahead = self._window_start >= 0 and first > self._window_last + 1
        self._window_start = first
        if jumped_ahead and first not in self._tail and not self._sequential_dropped:
            # sequential_download fetches from the lowest missing piece and then ignores the window: after a
            # jump ahead the reader waited 13-19 s at 2 MB/s (bench), 2-4 s without it. A look at the tail (asked
            # for early anyway) and going back keep it. The engine restores the flag when the torrent's last
            # stream closes.
            self._sequential_dropped = True
            self._guard(lambda: self._handle.unset_flags(_SEQUENTIAL))
        rate = max(0, self._download_rate())
        # Bytes the reader may want in the next WINDOW_SECONDS at the current rate; the elevated window is the
        # first half of it (a wider band of equal priorities arrives in random order and delays the next bytes).
        span = min(WINDOW_MAX_BYTES, max(WINDOW_MIN_BYTES, int(rate * WINDOW_SECONDS)))
        last = min(self._file.piece_at(self._file.size - 1), first + max(2, span // 2 // self._file.piece_length))
        self._window_last = last
        new_window = {p for p in range(first, last + 1) if p not in self._have}
        leaving = self._window - new_window
        self._window = new_window
        # Graded, not flat: among pieces of equal priority libtorrent picks at random even with
        # sequential_download on (measured at 2x bitrate: pieces 2, 5, 13, 58, 15, 8, 12 before piece 0, which
        # came at 2.1 s). Nearest pieces highest put the first frame at ~1.1 s instead (player bench).
        piece_length = self._file.piece_length
        changes = [(p, _graded_priority(p - first, piece_length, span)) for p in sorted(new_window)]
        if leaving:
            base = self._file.base_priority()
            changes += [(p, base) for p in sorted(leaving)]
            for piece in leaving:
                self._guard(partial(self._handle.reset_piece_deadline, piece))
        if changes:
            self._guard(lambda: self._handle.prioritize_pieces(changes))

    def _wait_for(self, piece: int) -> None:
        deadline = time.monotonic() + self._timeout
        asked = False
        while True:
            self._check_open()
            seen = self._signal.generation()
            if self._has(piece):
                return
            if not asked:
                # Deadline 0 only on the piece the reader is blocked on: deadlines on many pieces at once
                # made the start 3-4x slower with one peer (FIELD-NOTES).
                self._guard(lambda: self._handle.set_piece_deadline(piece, 0))
                asked = True
            left = deadline - time.monotonic()
            if left <= 0:
                raise StreamTimeoutError(
                    f"No data arrived for {self._timeout:.0f} s at byte {self._position:,} of this file; "
                    "the torrent may have no reachable peers."
                )
            self._signal.wait(seen, min(left, 0.5))

    def _has(self, piece: int) -> bool:
        if piece in self._have:
            return True
        try:
            have = self._handle.have_piece(piece)
        except RuntimeError as exc:  # the handle died: torrent removed
            raise StreamClosedError("The torrent of this stream was removed.") from exc
        if have:
            self._have.add(piece)
            self._window.discard(piece)
        return bool(have)

    def _read_verified(self, start: int, stop: int) -> bytes:
        """The verified run of bytes in [start, stop); its first piece is known verified."""
        chunks: list[bytes] = []
        position = start
        piece = self._file.piece_at(start)
        while position < stop and (not chunks or self._has(piece)):
            data = self._piece_bytes(piece)
            piece_start = piece * self._file.piece_length - self._file.offset  # may be < 0 (shared piece)
            low = position - piece_start
            high = min(len(data), stop - piece_start)
            if high <= low:
                break
            chunks.append(data[low:high])
            position = piece_start + high
            piece += 1
        return b"".join(chunks)

    def _piece_bytes(self, piece: int) -> bytes:
        cached = self._cache.get(piece)
        if cached is not None:
            self._cache.move_to_end(piece)
            return cached
        data = self._reader.request(self._handle, piece, self._timeout, self._closed_event.is_set)
        self._cache[piece] = data
        while len(self._cache) > CACHED_PIECES:
            self._cache.popitem(last=False)
        return data

    def _check_open(self) -> None:
        if self._closed_event.is_set():
            raise StreamClosedError("This stream is closed.")

    def _guard(self, call: Callable[[], object]) -> None:
        try:
            call()
        except RuntimeError as exc:
            if not self._handle.is_valid():
                raise StreamClosedError("The torrent of this stream was removed.") from exc
            raise
