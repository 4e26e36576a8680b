"""The player page in a real Qt window on Xvfb with real VLC drawing into it.

Bytes come from files through the real stream server (the engine's side is a fake that serves complete
files; streaming from a swarm is tested in tests/integration/test_player_streaming.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app.bundle import ManifestFile
from app.player.items import Offer, OfferKind, PlayItem
from app.player.playback import Playback
from app.player.resume import ResumePositions
from app.player.server import StreamServer
from app.player.video import VideoBackend
from app.ui.player import PlayerPage
from app.ui.tasks import ThreadPoolTaskRunner
from tests.player.fakes import FilesEngine
from tests.player.media import make_test_video

TID = "ab" * 20
OFFER = Offer("bundle-1", OfferKind.PLEDGE, "Pledge $9.95")

pytestmark = pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs the X display run-tests.sh provides")


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("clips")
    return [
        make_test_video(root / "long.mp4", seconds=20, seed=3),
        make_test_video(root / "short.mp4", seconds=3, seed=4),
        make_test_video(root / "short2.mp4", seconds=3, seed=5),
    ]


@pytest.fixture(scope="module")
def backend() -> Iterator[VideoBackend]:
    backend = VideoBackend(args=["--aout=dummy"])
    yield backend
    backend.release()


@pytest.fixture
def server() -> Iterator[StreamServer]:
    server = StreamServer()
    server.start()
    yield server
    server.stop()


def _item(clips: list[Path], index: int, *, locked: bool = False, title: str = "Pilot") -> PlayItem:
    entry = ManifestFile(
        path=f"Show/{clips[index].name}", size=clips[index].stat().st_size, media_type="video/mp4",
        locked=locked, nonce="00" * 16 if locked else None, bitrate=2_000_000,
    )  # fmt: skip
    return PlayItem(TID, index, entry, title=title, bundle_id="bundle-1")


def _page(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp: Path
) -> tuple[PlayerPage, FilesEngine]:
    engine = FilesEngine(TID, clips)
    tasks = ThreadPoolTaskRunner()
    page = PlayerPage(Playback(engine, server), backend, ResumePositions(tmp / "resume.json"), tasks)
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
    items = [_item(clips, 1, title="Track 1"), _item(clips, 2, title="Track 2")]
    page.play_playlist(items, cover=None)
    assert page.playlist.isVisible() and page.playlist.count() == 2
    qtbot.waitUntil(lambda: page.current_item is items[1] and page.time_ms > 500, timeout=40_000)
    assert page.playlist.currentRow() == 1
    assert engine.opened[:2] == [1, 2]
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
