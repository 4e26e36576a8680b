"""A fake of the engine's reading side: files on disk served as if fully verified. For logic and page tests;
the real engine streams in tests/integration/test_player_streaming.py."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from app.engine.errors import UnknownTorrentError
from app.engine.types import ByteRange, TorrentId, TorrentSnapshot, TorrentState
from app.player.sources import ByteSeekReader


class FilesEngine:
    """Torrent ``torrent_id`` whose file ``i`` is ``files[i]``; every byte verified."""

    def __init__(
        self,
        torrent_id: TorrentId,
        files: list[Path],
        others: tuple[TorrentId, ...] = (),
        *,
        reported_ranges: list[ByteRange] | None = None,
        rate: int = 0,
        cut_at: int | None = None,
    ) -> None:
        self.cut_at = cut_at  # readers end here, as a stream whose swarm went silent does
        self.torrent_id = torrent_id
        self.reported_ranges = reported_ranges  # what file_ranges claims (a download still under way)
        self.rate = rate
        self.files = files
        self.others = others
        self.limits: dict[TorrentId, int] = {}
        self.opened: list[int] = []

    def open_stream(self, torrent_id: TorrentId, file_index: int, *, timeout: float = 30.0) -> ByteSeekReader:
        self.opened.append(file_index)
        handle = self.files[file_index].open("rb")
        return handle if self.cut_at is None else _CutReader(handle, self.cut_at)  # type: ignore[return-value]

    def file_ranges(self, torrent_id: TorrentId, file_index: int) -> list[ByteRange]:
        if self.reported_ranges is not None:
            return list(self.reported_ranges)
        return [ByteRange(0, self.files[file_index].stat().st_size)]

    def snapshot(self, torrent_id: TorrentId) -> TorrentSnapshot:
        size = sum(f.stat().st_size for f in self.files)
        return TorrentSnapshot(
            torrent_id, "x", TorrentState.SEEDING, 1.0, self.rate, 0, 1, 1, None, 0.0,
            size, size, size, 0, 0, "/", True, False, None, 0.0,
            download_limit=self.limits.get(torrent_id, 0),
        )  # fmt: skip

    def torrent_ids(self) -> list[TorrentId]:
        return [self.torrent_id, *self.others]

    def set_torrent_limits(
        self, torrent_id: TorrentId, *, download: int | None = None, upload: int | None = None
    ) -> None:
        if torrent_id not in self.torrent_ids():
            raise UnknownTorrentError(torrent_id)
        if download is not None:
            self.limits[torrent_id] = download


class _CutReader:
    def __init__(self, handle: BinaryIO, cut_at: int) -> None:
        self._handle = handle
        self._cut_at = cut_at

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def read(self, n: int) -> bytes:
        return self._handle.read(max(0, min(n, self._cut_at - self._handle.tell())))

    def close(self) -> None:
        self._handle.close()
