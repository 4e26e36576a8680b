"""A fake of the engine's reading side: files on disk served as if fully verified. For logic and page tests;
the real engine streams in tests/integration/test_player_streaming.py."""

from __future__ import annotations

from pathlib import Path

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
    ) -> None:
        self.torrent_id = torrent_id
        self.reported_ranges = reported_ranges  # what file_ranges claims (a download still under way)
        self.rate = rate
        self.files = files
        self.others = others
        self.limits: dict[TorrentId, int] = {}
        self.opened: list[int] = []

    def open_stream(self, torrent_id: TorrentId, file_index: int, *, timeout: float = 30.0) -> ByteSeekReader:
        self.opened.append(file_index)
        return self.files[file_index].open("rb")  # type: ignore[return-value]

    def file_ranges(self, torrent_id: TorrentId, file_index: int) -> list[ByteRange]:
        if self.reported_ranges is not None:
            return list(self.reported_ranges)
        return [ByteRange(0, self.files[file_index].stat().st_size)]

    def snapshot(self, torrent_id: TorrentId) -> TorrentSnapshot:
        size = sum(f.stat().st_size for f in self.files)
        return TorrentSnapshot(
            torrent_id, "x", TorrentState.SEEDING, 1.0, self.rate, 0, 1, 1, None, 0.0,
            size, size, size, 0, 0, "/", True, False, None, 0.0,
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
