"""A live MPEG-TS source for the stream server: blocks pushed in as they are played out, read as one endless body.

``LiveTsSource.feed`` takes each played block (plaintext TS, in memory only) from the live viewer's loop; every
HTTP request opens a reader that starts at the next block beginning with a keyframe, so VLC gets a decodable start,
then receives every block fed after it. Blocks fed after play-out skipped ahead have their timestamps moved back by
the time skipped (``app.player.ts_restamp``): VLC keeps its clock across a jump, so without it a skip would leave the
picture as far behind the source as before. A reader holds at most ``max_blocks`` blocks: a player that stops reading
loses the oldest, never grows memory. The source has no size (``UNKNOWN_SIZE``): the server answers with a
progressive body that ends only when the source or the reader closes. ``feed`` is called from any thread; readers
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
        self._shift_ticks = 0  # 90 kHz: all the stream time skipped so far, taken off every timestamp

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

    def feed(self, data: bytes, *, keyframe: bool, skipped_ms: int = 0) -> None:
        """One played block; ``skipped_ms``: stream time play-out skipped just before it (its timestamps, and all
        later ones, are moved back by the time skipped so far, so VLC's clock sees no jump and shows it at once)."""
        with self._lock:
            if skipped_ms > MAX_SHIFTED_SKIP_MS:
                self._shift_ticks = 0
            else:
                self._shift_ticks += max(0, skipped_ms) * 90
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
