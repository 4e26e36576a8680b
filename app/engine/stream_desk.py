"""Opens ``TorrentStream`` readers and keeps track of them per torrent.

Called from any thread (``open`` from the player's threads, ``close_*`` from the engine's verbs and shutdown;
a stream's own ``close`` calls back into ``_closed``). While a torrent has open streams it downloads with
``sequential_download`` on; when its last stream closes, deadlines are cleared, the flag is restored and the
piece priorities are reset from the file priorities — normal picking is given back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import libtorrent as lt

from app.engine.errors import StreamTimeoutError
from app.engine.piece_reader import PieceReader
from app.engine.reads import checked_file_info
from app.engine.registry import Registry, TorrentRecord
from app.engine.stream import PieceSignal, StreamFile, TorrentStream
from app.engine.types import TorrentId

_SEQUENTIAL = int(lt.torrent_flags.sequential_download)


class StreamDesk:
    """The open streams of every torrent."""

    def __init__(
        self,
        registry: Registry,
        signal: PieceSignal,
        piece_reader: PieceReader,
        download_rate: Callable[[TorrentId], int],
    ) -> None:
        self._registry = registry
        self._signal = signal
        self._piece_reader = piece_reader
        self._download_rate = download_rate
        self._lock = threading.Lock()
        self._streams: dict[TorrentId, list[TorrentStream]] = {}

    def open(self, record: TorrentRecord, file_index: int, timeout: float) -> TorrentStream:
        """A reader of one file; waits up to ``timeout`` for a magnet's metadata first."""
        handle = record.handle
        self._wait_for_metadata(handle, timeout)
        info = checked_file_info(handle, file_index)
        files = info.layout()
        if handle.file_priority(file_index) == 0:
            handle.file_priority(file_index, 4)  # the reader wants it even if the user skipped it
        with self._registry.lock:
            if record.open_streams == 0:
                record.sequential_before_stream = bool(int(handle.flags()) & _SEQUENTIAL)
                handle.set_flags(_SEQUENTIAL)
            record.open_streams += 1

        def base_priority() -> int:
            return max(1, int(handle.file_priority(file_index)))

        stream_file = StreamFile(
            file_index=file_index,
            offset=files.file_offset(file_index),
            size=files.file_size(file_index),
            piece_length=info.piece_length(),
            num_pieces=info.num_pieces(),
            base_priority=base_priority,
        )
        tid = record.torrent_id
        stream = TorrentStream(
            handle, stream_file, self._signal, self._piece_reader, lambda: self._download_rate(tid),
            self._closed, timeout,
        )
        with self._lock:
            self._streams.setdefault(tid, []).append(stream)
        return stream

    def close_torrent(self, tid: TorrentId) -> None:
        """Close every stream of one torrent (it is being removed)."""
        with self._lock:
            streams = list(self._streams.get(tid, []))
        for stream in streams:
            stream.close()

    def close_all(self) -> None:
        with self._lock:
            streams = [s for group in self._streams.values() for s in group]
        for stream in streams:
            stream.close()

    def _closed(self, stream: TorrentStream) -> None:
        with self._lock:
            tid = next((t for t, group in self._streams.items() if stream in group), None)
            if tid is None:
                return
            self._streams[tid].remove(stream)
            if not self._streams[tid]:
                del self._streams[tid]
        record = self._registry.find(tid)
        if record is None or not record.handle.is_valid():
            return
        with self._registry.lock:
            record.open_streams = max(0, record.open_streams - 1)
            if record.open_streams:
                return
        handle = record.handle
        handle.clear_piece_deadlines()
        if not record.sequential_before_stream:
            handle.unset_flags(_SEQUENTIAL)
        handle.prioritize_files(handle.get_file_priorities())  # resets the window's piece priorities

    def _wait_for_metadata(self, handle: lt.torrent_handle, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while handle.torrent_file() is None:
            if time.monotonic() >= deadline:
                raise StreamTimeoutError("The torrent's metadata did not arrive in time; no peer sent it.")
            self._signal.wait(self._signal.generation(), 0.2)
