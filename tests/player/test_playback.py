"""The playback façade's rules: locked files need a license, other downloads slow down while watching.

The engine is a small fake here (these are rules, not transport); the real engine streams in
tests/integration/test_player_streaming.py.
"""

from __future__ import annotations

import http.client
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.bundle import ContentCipher, Grant, License, ManifestFile, derive_file_key
from app.engine.errors import UnknownTorrentError
from app.engine.types import ByteRange, TorrentId, TorrentSnapshot, TorrentState
from app.player.errors import LicenseRequiredError
from app.player.items import PlayItem
from app.player.playback import Playback
from app.player.server import StreamServer
from app.player.sources import ByteSeekReader

BUNDLE_KEY = os.urandom(32)
PLAIN = os.urandom(600_000)
NONCE = os.urandom(16)
EPISODE = "Series/episode-2.mp4"


class _FakeEngine:
    def __init__(self, tmp: Path) -> None:
        self.file = tmp / "episode.bin"
        self.file.write_bytes(ContentCipher(derive_file_key(BUNDLE_KEY, EPISODE), NONCE).encrypt_at(0, PLAIN))
        self.limits: dict[str, int] = {}
        self.ids = ["aa" * 20, "bb" * 20, "cc" * 20]

    def open_stream(self, torrent_id: TorrentId, file_index: int, *, timeout: float = 30.0) -> ByteSeekReader:
        return self.file.open("rb")  # type: ignore[return-value]

    def file_ranges(self, torrent_id: TorrentId, file_index: int) -> list[ByteRange]:
        return [ByteRange(0, 100_000), ByteRange(300_000, 400_000)]

    def snapshot(self, torrent_id: TorrentId) -> TorrentSnapshot:
        return TorrentSnapshot(
            torrent_id, "x", TorrentState.DOWNLOADING, 0.3, 50_000, 0, 1, 1, None, 0.0,
            600_000, 600_000, 200_000, 0, 0, "/", True, False, None, 0.0,
            download_limit=self.limits.get(torrent_id, 0),
        )  # fmt: skip

    def torrent_ids(self) -> list[TorrentId]:
        return list(self.ids)

    def set_torrent_limits(
        self, torrent_id: TorrentId, *, download: int | None = None, upload: int | None = None
    ) -> None:
        if torrent_id == "cc" * 20:
            raise UnknownTorrentError("gone")
        assert download is not None
        self.limits[torrent_id] = download


def _episode() -> PlayItem:
    entry = ManifestFile(
        path=EPISODE, size=len(PLAIN), media_type="video/mp4", locked=True, nonce=NONCE.hex(), bitrate=800_000
    )
    return PlayItem(torrent_id="aa" * 20, file_index=1, file=entry, title="Episode 2", bundle_id="b1")


def _license(paths: list[str] | None) -> License:
    grant = Grant.whole_bundle(BUNDLE_KEY) if paths is None else Grant.for_files(BUNDLE_KEY, paths)
    return License("l1", "s1", "a1", "b1", grant, 0)


def _fetch(url: str) -> bytes:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=20)
    conn.request("GET", parts.path)
    body = conn.getresponse().read()
    conn.close()
    return body


def test_a_locked_file_without_a_license_is_refused(tmp_path: Path, server: StreamServer) -> None:
    playback = Playback(_FakeEngine(tmp_path), server)
    with pytest.raises(LicenseRequiredError, match="locked"):
        playback.stream_url(_episode(), None)
    with pytest.raises(LicenseRequiredError):
        playback.stream_url(_episode(), _license(["Series/episode-3.mp4"]))


def test_a_locked_file_with_its_license_streams_plaintext(tmp_path: Path, server: StreamServer) -> None:
    engine = _FakeEngine(tmp_path)
    playback = Playback(engine, server)
    assert _fetch(playback.stream_url(_episode(), _license(None))) == PLAIN
    assert PLAIN[:4096] not in engine.file.read_bytes()


def test_other_downloads_are_slowed_while_watching_and_restored(tmp_path: Path, server: StreamServer) -> None:
    engine = _FakeEngine(tmp_path)
    playback = Playback(engine, server, throttle_others_to=100_000)
    playback.start_watching(_episode())
    assert engine.limits == {"bb" * 20: 100_000}
    playback.stop_watching()
    assert engine.limits == {"bb" * 20: 0}


def test_progress_reports_ranges_and_buffering(tmp_path: Path, server: StreamServer) -> None:
    playback = Playback(_FakeEngine(tmp_path), server)
    progress = playback.progress(_episode(), 0.1)  # byte 60,000: 40,000 verified bytes ahead
    assert progress.downloaded == ((0.0, 100_000 / 600_000), (0.5, 400_000 / 600_000))
    assert progress.buffered_ahead == 40_000
    # 800 kbit/s wants 400 kB ahead; 360 kB missing at 50 kB/s.
    assert progress.buffering_s == pytest.approx(7.2)
    assert playback.progress(_episode(), 0.3).playable is None
