"""The player's façade without Qt: turns a ``PlayItem`` into a stream URL, reports download progress for the
seek bar, and slows other downloads while something plays.

A free file is served as the engine's verified bytes; a locked file only with a license that opens it, wrapped
in a decrypting source (plaintext in memory only). Called from the UI thread; every call here is quick — the
waiting for pieces happens on the stream server's threads.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from app.bundle import License
from app.engine.errors import EngineError
from app.engine.types import ByteRange, TorrentId, TorrentSnapshot
from app.player.decrypting import DecryptingSource
from app.player.errors import LicenseRequiredError
from app.player.items import PlayItem
from app.player.progress import as_fractions, buffering_seconds, playable_range
from app.player.server import StreamServer
from app.player.sources import ByteSource, StreamOpener, TorrentFileSource

log = logging.getLogger(__name__)

_MAX_ARTWORK_BYTES = 8 * 1024 * 1024


class PlaybackEngine(StreamOpener, Protocol):
    """The part of ``app.engine.Engine`` playback uses."""

    def file_ranges(self, torrent_id: TorrentId, file_index: int) -> list[ByteRange]: ...

    def snapshot(self, torrent_id: TorrentId) -> TorrentSnapshot: ...

    def torrent_ids(self) -> list[TorrentId]: ...

    def set_torrent_limits(
        self, torrent_id: TorrentId, *, download: int | None = None, upload: int | None = None
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class FileProgress:
    """What the seek bar and the buffering line show for one file at one moment."""

    downloaded: tuple[tuple[float, float], ...]  # fractions of the file
    playable: tuple[float, float] | None  # from the play position to the end of its verified run
    buffered_ahead: int  # verified bytes after the play position
    download_rate: int  # bytes/s of the torrent
    buffering_s: float | None  # about how long until playback is comfortable; None when unknown


class Playback:
    """Stream URLs for play items, their progress, and the "slow other downloads" setting."""

    def __init__(self, engine: PlaybackEngine, server: StreamServer, *, throttle_others_to: int = 0) -> None:
        self._engine = engine
        self._server = server
        self.throttle_others_to = throttle_others_to  # bytes/s for other torrents while watching; 0 = off
        self._throttled: dict[TorrentId, tuple[int, int]] = {}  # torrent → (its own limit before, what we set)

    def stream_url(self, item: PlayItem, license: License | None = None) -> str:
        """The URL VLC opens for ``item``; a locked file needs a license that opens it."""
        return self._server.register(item.stream_id, self._source(item, license))

    def _source(self, item: PlayItem, license: License | None) -> ByteSource:
        source: ByteSource = TorrentFileSource(
            self._engine, item.torrent_id, item.file_index, size=item.file.size, content_type=item.file.media_type
        )
        if item.file.locked:
            key = license.file_key(item.file.path) if license is not None else None
            if key is None:
                raise LicenseRequiredError(item.file.path)
            source = DecryptingSource(source, key, item.file.nonce_bytes)
        return source

    def live_url(self, live_id: str, source: ByteSource) -> str:
        """The URL VLC opens for a live broadcast's endless TS (``app.player.live_source.LiveTsSource``)."""
        return self._server.register(live_id, source)

    def release_live(self, live_id: str) -> None:
        """Stop serving a live broadcast (ends its open response)."""
        self._server.unregister(live_id)

    def subtitle_urls(self, item: PlayItem, license: License | None = None) -> list[tuple[str, str]]:
        """(label, URL) of each subtitle file of ``item`` this fan may open (a locked one needs its key). The URL
        ends in the file's extension: VLC picks the subtitle format by it."""
        urls = []
        for number, subtitle in enumerate(item.subtitles):
            sub_item = PlayItem(item.torrent_id, subtitle.file_index, subtitle.file, subtitle.label, item.bundle_id)
            extension = subtitle.file.path.rsplit(".", 1)[-1].lower()
            try:
                source = self._source(sub_item, license)
            except LicenseRequiredError:
                continue
            urls.append((subtitle.label, self._server.register(_subtitle_id(item, number, extension), source)))
        return urls

    def read_artwork(self, item: PlayItem, *, timeout: float = 10.0) -> bytes | None:
        """The bytes of ``item``'s artwork (small, free), read from the torrent; None without one. Blocks: worker."""
        artwork = item.artwork
        if artwork is None or artwork.file.locked or artwork.file.size > _MAX_ARTWORK_BYTES:
            return None
        stream = self._engine.open_stream(item.torrent_id, artwork.file_index, timeout=timeout)
        try:
            data = b""
            while len(data) < artwork.file.size:
                block = stream.read(artwork.file.size - len(data))
                if not block:
                    break
                data += block
            return data
        finally:
            stream.close()

    def release(self, item: PlayItem) -> None:
        """Stop serving ``item`` and its subtitles (ends their open responses, gives the engine's picking back)."""
        self._server.unregister(item.stream_id)
        for number, subtitle in enumerate(item.subtitles):
            self._server.unregister(_subtitle_id(item, number, subtitle.file.path.rsplit(".", 1)[-1].lower()))

    def progress(self, item: PlayItem, position_fraction: float) -> FileProgress:
        """Downloaded and playable ranges of ``item`` and the buffering estimate at ``position_fraction``."""
        try:
            ranges = self._engine.file_ranges(item.torrent_id, item.file_index)
            rate = self._engine.snapshot(item.torrent_id).download_rate
        except EngineError:
            ranges, rate = [], 0
        size = item.file.size
        position = min(max(int(position_fraction * size), 0), max(size - 1, 0))
        run = playable_range(ranges, position)
        ahead = run.end - run.start if run else 0
        downloaded = tuple(as_fractions(ranges, size))
        complete = downloaded_share(downloaded) >= 1.0
        return FileProgress(
            downloaded=downloaded,
            playable=(run.start / size, run.end / size) if run and size else None,
            buffered_ahead=ahead,
            download_rate=rate,
            buffering_s=0.0
            if complete
            else buffering_seconds(bitrate=item.file.bitrate, download_rate=rate, buffered_ahead=ahead),
        )

    def start_watching(self, item: PlayItem) -> None:
        """Slow every other torrent's download while ``item`` plays (when the setting is on)."""
        self.stop_watching()
        if self.throttle_others_to <= 0:
            return
        for torrent_id in self._engine.torrent_ids():
            if torrent_id == item.torrent_id:
                continue
            try:
                before = self._engine.snapshot(torrent_id).download_limit
            except EngineError:  # removed meanwhile
                continue
            # A limit the user set lower than the throttle stays: watching must never speed a download up.
            slowed = min(before, self.throttle_others_to) if before > 0 else self.throttle_others_to
            if self._set_download_limit(torrent_id, slowed):
                self._throttled[torrent_id] = (before, slowed)

    def stop_watching(self) -> None:
        """Give the other torrents back the download limits they had (0 = unlimited), not simply unlimited."""
        for torrent_id, (before, slowed) in sorted(self._throttled.items()):
            try:
                now = self._engine.snapshot(torrent_id).download_limit
            except EngineError:
                continue
            if now == slowed:  # otherwise the user changed it while watching: theirs wins
                self._set_download_limit(torrent_id, before)
        self._throttled.clear()

    def _set_download_limit(self, torrent_id: TorrentId, limit: int) -> bool:
        try:
            self._engine.set_torrent_limits(torrent_id, download=limit)
        except EngineError as error:  # removed meanwhile: nothing to slow or restore
            log.debug("cannot limit %s: %s", torrent_id, error)
            return False
        return True


def downloaded_share(ranges: Sequence[tuple[float, float]]) -> float:
    """How much of the file the fractions cover (0…1)."""
    return min(1.0, sum(end - start for start, end in ranges))


def _subtitle_id(item: PlayItem, number: int, extension: str) -> str:
    return f"{item.stream_id}-sub{number}.{extension}"
