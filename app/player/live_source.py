"""A live MPEG-TS source for the stream server: blocks pushed in as they are played out, read as one endless body.

``LiveTsSource.feed`` takes each played block (plaintext TS, in memory only) from the live viewer's loop; every
HTTP request opens a reader that starts at the next block beginning with a keyframe, so VLC gets a decodable start,
then receives every block fed after it. Each block's timestamps are moved by all the lag play-out has added (stalls)
or given back (skips) since the first block (``app.player.ts_restamp``), so VLC's clock runs with play-out's:
- VLC keeps its clock across a jump, so without the move a skip left the picture as far behind as before;
- a block that comes late after a stall is, for VLC, a late PCR: VLC then raises its own delay for good, by more
  than the stall (0.10 s → 0.22 s after a 0.15 s stall, → 0.5 s after a 0.6 s one; FIELD-NOTES-FOUND, stop 24).
  Stamped as late as it plays, it is on time, and VLC shows it at its usual delay;
- a lost block that play-out skipped (the stream time jumps, and so did the wall time while play waited) needs no
  move at all: moving it back as if the skip were free made it late for VLC by the wait.
A reader holds at most ``max_blocks`` blocks: a player that stops reading loses the oldest, never grows memory.
The source has no size (``UNKNOWN_SIZE``): the server answers with a progressive body that ends only when the
source or the reader closes. ``feed`` is called from any thread; readers
block on the server's request threads.
"""

from __future__ import annotations

import threading
from collections import deque

from app.player.ts_restamp import shift_timestamps

UNKNOWN_SIZE = -1
# A skip longer than this is not play-out catching up but a new stream (a broadcaster that restarted its clock):
# its timestamps are not moved (they start again near zero and would wrap), and the shift so far ends.
MAX_SHIFTED_SKIP_MS = 5_000


class _LiveReader:
    def __init__(self, source: LiveTsSource, max_blocks: int) -> None:
        self._source = source
        self._blocks: deque[bytes] = deque(maxlen=max_blocks)
        self._pending = b""
        self._started = False
        self._closed = False
        self._cond = threading.Condition()

    def push(self, data: bytes, keyframe: bool) -> None:
        with self._cond:
            if not self._started:
                if not keyframe:
                    return  # wait for a block VLC can start decoding at
                self._started = True
            self._blocks.append(data)
            self._cond.notify()

    def read(self, n: int) -> bytes:
        with self._cond:
            while not self._pending and not self._blocks and not self._closed:
                self._cond.wait(timeout=1.0)
            if not self._pending and self._blocks:
                self._pending = self._blocks.popleft()
            data, self._pending = self._pending[:n], self._pending[n:]
            return data

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._source.forget(self)


class LiveTsSource:
    def __init__(self, *, max_blocks: int = 64) -> None:
        self._max_blocks = max_blocks
        self._lock = threading.Lock()
        self._readers: list[_LiveReader] = []
        self._closed = False
        self.blocks_fed = 0
        self._shift_ticks = (
            0  # 90 kHz, taken off every timestamp: the lag play-out gave back (skips) less the lag added
        )

    @property
    def size(self) -> int:
        return UNKNOWN_SIZE

    @property
    def content_type(self) -> str:
        return "video/mp2t"

    def open_at(self, offset: int) -> _LiveReader:
        """A reader from the next keyframe on (a live stream has no earlier bytes to seek to: offset is ignored)."""
        reader = _LiveReader(self, self._max_blocks)
        with self._lock:
            if self._closed:
                reader.close()
            else:
                self._readers.append(reader)
        return reader

    def feed(self, data: bytes, *, keyframe: bool, skipped_ms: int = 0, lag_change_ms: int = 0) -> None:
        """One played block; ``lag_change_ms``: how much later (negative: sooner) it plays than its capture time's
        spacing from the block before says — its timestamps, and all later ones, move by all of that so far;
        ``skipped_ms``: stream time play-out skipped just before it (past ``MAX_SHIFTED_SKIP_MS``, a new stream)."""
        with self._lock:
            if skipped_ms > MAX_SHIFTED_SKIP_MS:
                self._shift_ticks = 0
            else:
                self._shift_ticks -= lag_change_ms * 90  # the shift moves timestamps earlier
            shift = self._shift_ticks
            readers = list(self._readers)
            self.blocks_fed += 1
        data = shift_timestamps(data, shift)
        for reader in readers:
            reader.push(data, keyframe)

    def forget(self, reader: _LiveReader) -> None:
        with self._lock:
            if reader in self._readers:
                self._readers.remove(reader)

    def close(self) -> None:
        """End every open response (the broadcast is over or the viewer left)."""
        with self._lock:
            self._closed = True
            readers, self._readers = self._readers, []
        for reader in readers:
            reader.close()
