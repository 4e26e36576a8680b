"""Reads verified pieces through libtorrent's disk layer (``read_piece`` → ``read_piece_alert``).

Why not open the file directly: libtorrent 2.x hashes a piece from its store buffer and may report it as
verified before the disk thread has written it into the file — a reader opening the file at that moment
found it missing (seen here on the first piece of a fresh download), or would read a sparse hole.
``read_piece`` reads the same bytes through libtorrent's storage, which knows about pending writes.

``request`` blocks the calling thread (a stream reader, any thread); ``deliver`` is called by the alert
thread when libtorrent answers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import libtorrent as lt

from app.engine.errors import StorageError, StreamClosedError, StreamTimeoutError

_Key = tuple[lt.torrent_handle, int]


class PieceReader:
    """Pending ``read_piece`` requests keyed by (handle, piece), answered from the alert thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._results: dict[_Key, bytes | str] = {}
        self._waiting: dict[_Key, int] = {}

    def request(self, handle: lt.torrent_handle, piece: int, timeout: float, cancelled: Callable[[], bool]) -> bytes:
        """The bytes of one verified piece; raises when cancelled, timed out, or libtorrent failed."""
        key = (handle, piece)
        deadline = time.monotonic() + timeout
        with self._cond:
            first = self._waiting.get(key, 0) == 0
            self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            if first:
                try:
                    handle.read_piece(piece)
                except RuntimeError as exc:
                    raise StreamClosedError("The torrent of this stream was removed.") from exc
            with self._cond:
                while key not in self._results:
                    if cancelled():
                        raise StreamClosedError("This stream is closed.")
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise StreamTimeoutError(f"Reading piece {piece} from disk took too long.")
                    self._cond.wait(min(left, 0.25))
                result = self._results[key]
        finally:
            with self._cond:
                self._waiting[key] -= 1
                if self._waiting[key] == 0:
                    del self._waiting[key]
                    self._results.pop(key, None)
        if isinstance(result, str):
            raise StorageError(f"Reading the downloaded data from disk failed: {result}.")
        return result

    def deliver(self, alert: Any) -> None:
        key = (alert.handle, int(alert.piece))
        with self._cond:
            if key not in self._waiting:
                return
            if alert.error.value() != 0:
                self._results[key] = alert.error.message()
            else:
                self._results[key] = bytes(alert.buffer)
            self._cond.notify_all()

    def wake_all(self) -> None:
        """Wake every waiter so it can notice a closed stream."""
        with self._cond:
            self._cond.notify_all()
