"""What a fan expects of a player, in a real Qt window on Xvfb with real VLC: the usual keys, a true fullscreen
(the picture alone, controls on mouse move), mute and speed, subtitle files (shown, and switched off), the cover
for music, *Watch again* and *Up next* at a file's end, and the offer at the pilot's end readable (its text's
contrast measured in a screenshot: WCAG AA, at least 4.5:1) with the campaign's progress."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.bundle import ManifestFile
from app.player.items import Offer, OfferKind, SubtitleFile
from app.player.server import StreamServer
from app.player.video import VideoBackend
from app.ui.player.fullscreen import CONTROLS_HIDE_AFTER_MS
from tests.player.media import cached_test_video
from tests.player.test_player_page import _item, _page

CAMPAIGN_OFFER = Offer("bundle-1", OfferKind.PLEDGE, "Pledge — $9.95", "Enjoyed the pilot? Back the season.",
                       progress_text="61,482 of 250,000 backers · 42 days left", progress=0.246)


@pytest.fixture(scope="module")
def clips() -> list[Path]:
    return [cached_test_video("long", seconds=20, seed=3), cached_test_video("short", seconds=3, seed=4),
            cached_test_video("short", seconds=3, seed=5)]


@pytest.fixture(scope="module")
def backend() -> Iterator[VideoBackend]:
    """VLC drawing into the window, its sound going to memory: unlike the dummy output, it has a volume and a
    mute switch to read back."""
    backend = VideoBackend(args=["--aout=amem"])
    yield backend
    backend.release()


def _relative_luminance(red: int, green: int, blue: int) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def text_contrast(widget: QWidget) -> float:
    """WCAG contrast between a widget's background (its most common pixel on screen) and its text (the pixel
    that differs most from it), from a grab of the screen where the widget is."""
    origin = widget.mapToGlobal(QPoint(0, 0))
    image: QImage = QGuiApplication.primaryScreen().grabWindow(
        0, origin.x(), origin.y(), widget.width(), widget.height()).toImage()
    counts: collections.Counter[tuple[int, int, int]] = collections.Counter()
    for x in range(image.width()):
        for y in range(image.height()):
            color = image.pixelColor(x, y)
            counts[(color.red(), color.green(), color.blue())] += 1
    background = _relative_luminance(*counts.most_common(1)[0][0])
    ratios = [(max(background, lum) + 0.05) / (min(background, lum) + 0.05)
              for lum in (_relative_luminance(*rgb) for rgb in counts)]
    return max(ratios)


def test_the_usual_keys_seek_change_volume_mute_and_pause(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    page, _ = _page(qtbot, clips, server, backend, tmp_path)
    page.play_bundle_file(_item(clips, 0))
    qtbot.waitUntil(lambda: page.time_ms > 500, timeout=30_000)
    page.setFocus()
    before = page.time_ms
    QTest.keyClick(page, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: page.time_ms >= before + 8_000, timeout=10_000)
    after_right = page.time_ms
    QTest.keyClick(page, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: page.time_ms <= after_right - 8_000, timeout=10_000)
    volume = page.volume.value()
    QTest.keyClick(page, Qt.Key.Key_Down)
    assert page.volume.value() == volume - 5
    QTest.keyClick(page, Qt.Key.Key_Up)
    QTest.keyClick(page, Qt.Key.Key_Up)
    assert page.volume.value() == volume + 5
    qtbot.waitUntil(lambda: page._player.volume == volume + 5, timeout=5_000)
    QTest.keyClick(page, Qt.Key.Key_M)
    qtbot.waitUntil(lambda: page._player.muted, timeout=5_000)
    assert page.controls.mute_button.text() == "Unmute"
    QTest.keyClick(page, Qt.Key.Key_M)
    qtbot.waitUntil(lambda: not page._player.muted, timeout=5_000)
    page.controls.speed.setCurrentIndex(page.controls.speed.findText("1.5x"))
    assert page._player.rate == 1.5
    QTest.keyClick(page, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: page.play_button.text() == "Play", timeout=5_000)
    page.shutdown()


def test_fullscreen_shows_the_picture_alone_and_the_controls_on_mouse_move(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    page, _ = _page(qtbot, clips, server, backend, tmp_path)
    page.play_playlist([_item(clips, 0, title="One"), _item(clips, 1, title="Two")])
    qtbot.waitUntil(lambda: page.time_ms > 300, timeout=30_000)
    page.setFocus()
    QTest.keyClick(page, Qt.Key.Key_F)
    window = page.window()
    qtbot.waitUntil(lambda: window.isFullScreen() and page.fullscreen, timeout=5_000)
    screen = window.screen().geometry()
    qtbot.waitUntil(lambda: page.video.width() >= screen.width() - 2, timeout=5_000)  # the picture fills the screen
    assert not page.playlist.isVisible() and not page.title_label.isVisible()  # alone
    qtbot.waitUntil(lambda: not page.fullscreen_mode.controls_shown, timeout=CONTROLS_HIDE_AFTER_MS + 5_000)
    qtbot.waitUntil(lambda: page.video.height() >= screen.height() - 2, timeout=5_000)  # controls gone: all picture
    QTest.mouseMove(page.video, QPoint(page.video.width() // 2, page.video.height() // 3))
    QTest.mouseMove(page.video, QPoint(page.video.width() // 2 + 20, page.video.height() // 3 + 20))
    qtbot.waitUntil(lambda: page.fullscreen_mode.controls_shown, timeout=5_000)
    playing_at = page.time_ms
    qtbot.waitUntil(lambda: page.time_ms > playing_at + 500, timeout=10_000)  # still playing
    QTest.keyClick(page, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=5_000)
    assert page.playlist.isVisible() and page.title_label.isVisible() and page.controls.isVisible()
    page.shutdown()


def test_the_pilots_end_offers_watch_again_and_a_readable_offer_with_the_campaigns_progress(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    page, _ = _page(qtbot, clips, server, backend, tmp_path)
    page.play_bundle_file(_item(clips, 1), offer=CAMPAIGN_OFFER)  # a 3 s "pilot"
    qtbot.waitUntil(lambda: page.showing_offer, timeout=30_000)
    panel = page.offer_panel
    qtbot.waitUntil(lambda: panel.button.isVisible() and panel.again_button.isVisible(), timeout=5_000)
    qtbot.wait(200)  # let the panel paint before the screen is grabbed
    assert panel.button.text() == "Pledge — $9.95"
    assert panel.progress_label.text() == CAMPAIGN_OFFER.progress_text and panel.progress_bar.value() == 246
    for widget in (panel.button, panel.headline, panel.reason, panel.progress_label, panel.again_button):
        ratio = text_contrast(widget)
        print(f"offer contrast {widget.objectName() or type(widget).__name__}: {ratio:.2f}:1")
        assert ratio >= 4.5, f"{widget.objectName() or type(widget).__name__} contrast {ratio:.2f}:1"
    assert page.time_label.text() == "0:03 / 0:03" and page.ended
    panel.again_button.click()
    qtbot.waitUntil(lambda: not page.showing_offer and page.time_ms > 0, timeout=20_000)
    assert page.time_ms < 2_500 and not page.ended  # from the start, playing
    qtbot.waitUntil(lambda: page.showing_offer, timeout=30_000)  # and it ends again with the offer
    page.toggle_pause()  # Play after the end also plays it again
    qtbot.waitUntil(lambda: not page.showing_offer and page.time_ms > 0, timeout=20_000)
    page.shutdown()


def test_a_videos_end_shows_up_next_which_plays_the_next_one(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    page, _ = _page(qtbot, clips, server, backend, tmp_path)
    items = [_item(clips, 1, title="Episode 1"), _item(clips, 2, title="Episode 2")]
    page.play_playlist(items)
    qtbot.waitUntil(page.offer_panel.next_button.isVisible, timeout=30_000)
    assert page.offer_panel.next_button.text() == "Up next: Episode 2 ▶"
    page.offer_panel.next_button.click()
    qtbot.waitUntil(lambda: page.current_item is items[1] and page.time_ms > 300, timeout=20_000)
    qtbot.waitUntil(page.offer_panel.again_button.isVisible, timeout=30_000)
    assert page.offer_panel.next_button.isHidden()  # the last one: nothing follows
    page.shutdown()


def test_a_subtitle_file_in_the_bundle_is_shown_and_can_be_switched_off(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    srt = tmp_path / "long.en.srt"
    srt.write_text("".join(f"{n + 1}\n00:00:{n:02d},000 --> 00:00:{n:02d},900\nLine {n}\n\n" for n in range(20)))
    files = [*clips, srt]
    page, _ = _page(qtbot, files, server, backend, tmp_path)
    entry = ManifestFile(path="Show/long.en.srt", size=srt.stat().st_size, media_type="application/x-subrip",
                         locked=False)
    item = _item(clips, 0)
    item = type(item)(item.torrent_id, item.file_index, item.file, item.title, item.bundle_id,
                      subtitles=(SubtitleFile(3, entry, "English"),))
    page.play_bundle_file(item)
    qtbot.waitUntil(lambda: page.time_ms > 300, timeout=30_000)
    assert page.subtitle_labels == ["English"] and page.controls.subtitles.isVisible()
    assert page.controls.subtitles.currentText() == "English"
    qtbot.waitUntil(lambda: len(page._player.subtitle_tracks()) == 1, timeout=10_000)
    qtbot.waitUntil(lambda: page._player.subtitle_track >= 0, timeout=10_000)  # shown
    page.choose_subtitle(-1)
    qtbot.waitUntil(lambda: page._player.subtitle_track == -1, timeout=5_000)
    assert page.controls.subtitles.currentText() == "Subtitles off"
    page.choose_subtitle(0)
    qtbot.waitUntil(lambda: page._player.subtitle_track >= 0, timeout=5_000)
    page.shutdown()


def test_music_shows_the_bundles_cover_from_the_torrent(
    qtbot: QtBot, clips: list[Path], server: StreamServer, backend: VideoBackend, tmp_path: Path
) -> None:
    cover = QImage(32, 32, QImage.Format.Format_RGB32)
    cover.fill(Qt.GlobalColor.darkCyan)
    assert cover.save(str(tmp_path / "cover.png"))
    files = [*clips, tmp_path / "cover.png"]
    page, _ = _page(qtbot, files, server, backend, tmp_path)
    art = ManifestFile(path="Show/cover.png", size=(tmp_path / "cover.png").stat().st_size, media_type="image/png",
                       locked=False)
    track = _item(clips, 1, title="Track", media_type="audio/mp4")
    track = type(track)(track.torrent_id, track.file_index, track.file, track.title, track.bundle_id,
                        artwork=SubtitleFile(3, art, "Cover"))
    page.play_playlist([track])
    assert page.stack.currentWidget() is page.cover
    qtbot.waitUntil(lambda: not page.cover.pixmap().isNull(), timeout=10_000)
    assert page.cover.pixmap().toImage().pixelColor(5, 5).name() == "#008080"
    page.shutdown()
