"""The player page in a real Qt window on Xvfb with real VLC drawing into it.

Bytes come from files through the real stream server (the engine's side is a fake that serves complete
files; streaming from a swarm is tested in tests/integration/test_player_streaming.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QBuffer, QIODevice, QPoint, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from app.bundle import ManifestFile
from app.engine.types import ByteRange
from app.player.items import Offer, OfferKind, PlayItem
from app.player.playback import Playback
from app.player.resume import ResumePositions
from app.player.server import StreamServer
from app.player.video import VideoBackend
from app.ui.player import PlayerPage
from app.ui.tasks import ThreadPoolTaskRunner
from tests.player.fakes import FilesEngine
from tests.player.media import cached_test_video

TID = "ab" * 20
OFFER = Offer("bundle-1", OfferKind.PLEDGE, "Pledge $9.95")



@pytest.fixture(scope="module")
def clips() -> list[Path]:
    return [
        cached_test_video("long", seconds=20, seed=3),
        cached_test_video("short", seconds=3, seed=4),
        cached_test_video("short", seconds=3, seed=5),
    ]


@pytest.fixture(scope="module")
def backend() -> Iterator[VideoBackend]:
    backend = VideoBackend(args=["--aout=dummy"])
    yield backend
    backend.release()


def _item(
    clips: list[Path], index: int, *, locked: bool = False, title: str = "Pilot", media_type: str = "video/mp4"
) -> PlayItem:
    entry = ManifestFile(
        path=f"Show/{clips[index].name}", size=clips[index].stat().st_size, media_type=media_type,
        locked=locked, nonce="00" * 16 if locked else None, bitrate=2_000_000,
    )  # fmt: skip
    return PlayItem(TID, index, entry, title=title, bundle_id="bundle-1")


def _page(
    qtbot: QtBot,
    clips: list[Path],
    server: StreamServer,
    backend: VideoBackend,
    tmp: Path,
    throttle: int = 0,
    **engine_options: Any,
) -> tuple[PlayerPage, FilesEngine]:
    engine = FilesEngine(TID, clips, **engine_options)
    tasks = ThreadPoolTaskRunner()
    playback = Playback(engine, server, throttle_others_to=throttle)
    page = PlayerPage(playback, backend, ResumePositions(tmp / "resume.json"), tasks)
    qtbot.addWidget(page)
    page.resize(960, 640)
    page.show()
    qtbot.waitExposed(page)
    return page, engine


def _video_is_not_black(page: PlayerPage) -> bool:
    screen = QGuiApplication.primaryScreen().grabWindow(0).toImage()
    origin = page.video.mapToGlobal(page.video.rect().topLeft())
    lit = 0
    for x in range(10, page.video.width() - 10, 37):
        for y in range(10, page.video.height() - 10, 29):
            color = screen.pixelColor(origin.x() + x, origin.y() + y)
            lit += color.lightness() > 40
    return lit > 20


def test_a_free_file_plays_in_the_window_with_time_and_ranges(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    page, _ = _page(qtbot, clips, server, backend, tmp_path)
    page.play_bundle_file(_item(clips, 0), offer=OFFER)
    qtbot.waitUntil(lambda: page.time_ms > 1500, timeout=30_000)
    assert page.play_button.text() == "Pause"
    assert page.time_label.text().endswith("/ 0:20")
    qtbot.waitUntil(lambda: page.seek_bar.downloaded == ((0.0, 1.0),), timeout=10_000)
    qtbot.waitUntil(lambda: _video_is_not_black(page), timeout=10_000)
    shots = Path(os.environ.get("BUNDLECAST_SCREENSHOTS", "screenshots"))
    shots.mkdir(exist_ok=True)
    # VLC draws into its own native window, which widget.grab() does not see: grab the screen instead.
    origin = page.mapToGlobal(page.rect().topLeft())
    screen = QGuiApplication.primaryScreen()
    screen.grabWindow(0, origin.x(), origin.y(), page.width(), page.height()).save(str(shots / "player-page.png"))
    page.toggle_pause()
    qtbot.waitUntil(lambda: page.play_button.text() == "Play", timeout=10_000)
    page.shutdown()


def test_a_locked_file_without_a_license_shows_the_offer_and_plays_nothing(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    page, engine = _page(qtbot, clips, server, backend, tmp_path)
    page.play_bundle_file(_item(clips, 0, locked=True, title="Episode 2"), offer=OFFER)
    assert page.showing_offer
    assert page.offer_panel.button.text() == "Pledge $9.95"
    assert "locked" in page.offer_panel.reason.text()
    with qtbot.waitSignal(page.offer_requested, timeout=5_000) as signal:
        page.offer_panel.button.click()
    assert signal.args == ["bundle-1"]
    qtbot.wait(500)
    assert engine.opened == [] and page.time_ms == 0
    page.shutdown()


def test_the_offer_appears_when_the_free_pilot_ends(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    page, _ = _page(qtbot, clips, server, backend, tmp_path)
    page.play_bundle_file(_item(clips, 1), offer=OFFER)
    assert not page.showing_offer
    qtbot.waitUntil(lambda: page.showing_offer, timeout=30_000)
    assert "ended" in page.offer_panel.reason.text()
    page.shutdown()


def test_an_album_plays_as_a_playlist_in_order(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    page, engine = _page(qtbot, clips, server, backend, tmp_path)
    items = [_item(clips, i, title=f"Track {i}", media_type="audio/mp4") for i in (1, 2)]
    cover = QImage(64, 64, QImage.Format.Format_RGB32)
    cover.fill(QColor("#d04040"))
    png = QBuffer()
    png.open(QIODevice.OpenModeFlag.WriteOnly)
    cover.save(png, "PNG")
    page.play_playlist(items, cover=bytes(png.data().data()))
    assert page.playlist.isVisible() and page.playlist.count() == 2
    assert page.stack.currentWidget() is page.cover and not page.cover.pixmap().isNull()
    qtbot.waitUntil(lambda: page.current_item is items[1] and page.time_ms > 500, timeout=40_000)
    assert page.playlist.currentRow() == 1
    assert engine.opened[0] == 1 and 2 in engine.opened
    page.shutdown()


def test_playback_resumes_where_the_file_was_left(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    page, _ = _page(qtbot, clips, server, backend, tmp_path)
    page.play_bundle_file(_item(clips, 0))
    qtbot.waitUntil(lambda: page.time_ms > 500, timeout=30_000)
    page.seek(0.5)
    qtbot.waitUntil(lambda: page.time_ms > 9_000, timeout=30_000)
    left_at = page.time_ms
    page.shutdown()
    again, _ = _page(qtbot, clips, server, backend, tmp_path)
    again.play_bundle_file(_item(clips, 0))
    qtbot.waitUntil(lambda: again.time_ms > 0, timeout=30_000)
    assert again.time_ms >= left_at - 1500
    again.shutdown()


def test_buffering_shows_an_estimate_from_the_bitrate_and_the_rate(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    # The engine reports only the file's last 100 kB verified, more arriving at 100 kB/s: nothing is buffered
    # at the play position, and 4 s of a 2 Mbit/s file want 1 MB — about 10 s away.
    size = clips[0].stat().st_size
    tail = ByteRange(size - 100_000, size)
    page, _ = _page(qtbot, clips, server, backend, tmp_path, reported_ranges=[tail], rate=100_000)
    page.play_bundle_file(_item(clips, 0))
    qtbot.waitUntil(lambda: page.buffering_label.text() == "Buffering… about 10 s", timeout=30_000)
    assert page.buffering_label.isVisible()
    assert page.seek_bar.downloaded == ((tail.start / size, 1.0),)
    assert page.seek_bar.playable is None
    page.shutdown()


def test_pause_stops_the_clock(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    page, _ = _page(qtbot, clips, server, backend, tmp_path)
    page.play_bundle_file(_item(clips, 0))
    qtbot.waitUntil(lambda: page.time_ms > 500, timeout=30_000)
    page.toggle_pause()
    qtbot.waitUntil(lambda: not page._player.is_playing, timeout=5_000)
    paused_at = page.time_ms
    qtbot.wait(800)
    assert page.time_ms == paused_at
    page.shutdown()


def test_a_stream_that_breaks_off_is_not_taken_for_the_end_of_the_pilot(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    page, _ = _page(qtbot, clips, server, backend, tmp_path, cut_at=clips[0].stat().st_size // 4)
    with qtbot.waitSignal(page.playback_failed, timeout=60_000) as failed:
        page.play_bundle_file(_item(clips, 0), offer=OFFER)
    assert "no peer" in failed.args[0]
    assert not page.showing_offer
    page.shutdown()


def test_a_click_on_the_seek_bar_seeks(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    page, _ = _page(qtbot, clips, server, backend, tmp_path)
    page.play_bundle_file(_item(clips, 0))
    qtbot.waitUntil(lambda: page.time_ms > 300, timeout=30_000)
    bar = page.seek_bar
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(bar.width() // 2, bar.height() // 2))
    qtbot.waitUntil(lambda: 8_000 < page.time_ms < 16_000, timeout=30_000)
    page.shutdown()


def test_other_downloads_are_slowed_while_watching_and_freed_when_the_app_closes(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    other = "cd" * 20
    page, engine = _page(qtbot, clips, server, backend, tmp_path, throttle=50_000, others=(other,))
    page.play_bundle_file(_item(clips, 0))
    assert engine.limits == {other: 50_000}
    qtbot.waitUntil(lambda: page.time_ms > 300, timeout=30_000)
    page.shutdown()
    assert engine.limits == {other: 0}
