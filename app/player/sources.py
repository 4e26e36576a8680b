"""Byte sources the stream server serves: a file's size, its media type, and readers positioned at an offset.

A source is registered once per (session token, file id). Each HTTP request opens its own reader; a reader's
``read(n)`` may return fewer bytes than asked (the engine's stream returns what is verified so far), ``b""`` only
at the end, and ``close()`` may be called from another thread to wake a blocked read — that is how the newest
request of a file cancels the older ones. Readers are used on the stream server's request threads.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol

from app.engine.types import TorrentId


class StreamOpener(Protocol):
    """The part of ``app.engine.Engine`` a torrent source needs."""

    def open_stream(self, torrent_id: TorrentId, file_index: int, *, timeout: float = 30.0) -> ByteSeekReader: ...


class ByteReader(Protocol):
    """What a request thread reads from; ``close`` may come from another thread."""

    def read(self, n: int) -> bytes: ...

    def close(self) -> None: ...


class ByteSeekReader(ByteReader, Protocol):
    """The engine's ``TorrentStream`` as far as the player uses it."""

    def seek(self, offset: int, whence: int = 0) -> int: ...


class ByteSource(Protocol):
    """A file the server can serve: its length, its media type, and readers at any offset."""

    @property
    def size(self) -> int: ...

    @property
    def content_type(self) -> str: ...

    def open_at(self, offset: int) -> ByteReader: ...


class _FileReader:
    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle

    def read(self, n: int) -> bytes:
        try:
            return self._handle.read(n)
        except ValueError:  # read after close from another thread
            return b""

    def close(self) -> None:
        self._handle.close()


class FileSource:
    """A complete file on disk (a download that has finished, or a test fixture)."""

    def __init__(self, path: Path, content_type: str = "application/octet-stream") -> None:
        self._path = path
        self._size = path.stat().st_size
        self._content_type = content_type

    @property
    def size(self) -> int:
        return self._size

    @property
    def content_type(self) -> str:
        return self._content_type

    def open_at(self, offset: int) -> ByteReader:
        handle = self._path.open("rb")
        handle.seek(offset)
        return _FileReader(handle)


class TorrentFileSource:
    """One file of a torrent, read through the engine's stream reader (verified pieces only)."""

    def __init__(
        self,
        engine: StreamOpener,
        torrent_id: TorrentId,
        file_index: int,
        *,
        size: int,
        content_type: str = "application/octet-stream",
        read_timeout: float = 60.0,
    ) -> None:
        self._engine = engine
        self._torrent_id = torrent_id
        self._file_index = file_index
        self._size = size
        self._content_type = content_type
        self._read_timeout = read_timeout

    @property
    def size(self) -> int:
        return self._size

    @property
    def content_type(self) -> str:
        return self._content_type

    def open_at(self, offset: int) -> ByteReader:
        stream = self._engine.open_stream(self._torrent_id, self._file_index, timeout=self._read_timeout)
        stream.seek(offset)
        return stream
