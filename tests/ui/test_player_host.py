"""The Player tab hosted in the window, with the real store, engine, stream server and VLC: *Watch pilot* starts
the free pilot playing while it downloads; *Play* on a bundle you do not own plays its free part with the offer;
the player's offer opens the bundle in the Store. Plus the planning of play items from a manifest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app.bundle import Gate, GateType, Manifest, ManifestFile
from app.bundle.manifest import BundleKind
from app.engine import Engine
from app.library import file_title, offer_for, plan_items
from app.player.items import OfferKind
from app.player.playback import Playback
from app.player.server import StreamServer
from app.player.video import VideoBackend
from app.store.vault import LicenseVault
from app.ui.assembly import PlayerDependencies
from app.ui.player.page import PlayerPage
from tests.player.test_player_fan_controls import text_contrast
from tests.ui.store_driving import open_bundle, press, wait_for_catalog
from tests.ui.store_fixtures import StoreWindow, close_store_window, open_store_window


def _manifest(gate: GateType) -> Manifest:
    files = (
        ManifestFile("cover.png", 10, "image/png", False),
        ManifestFile("pilot.mp4", 100, "video/mp4", False),
        ManifestFile("episodes/e1.mp4", 100, "video/mp4", True, nonce="00" * 16),
    )
    return Manifest(bundle_id="b1", store_id="s", title="Show", creator="C", kind=BundleKind.SERIES,
                    description="", gate=Gate(gate, price_cents=995), files=files, info_hash_v1="ab" * 20,
                    info_hash_v2=None)


def test_plan_items_maps_manifest_paths_to_torrent_indices_and_respects_locks() -> None:
    manifest = _manifest(GateType.CAMPAIGN)
    paths = [(1, "Show/cover.png"), (3, "Show/episodes/e1.mp4"), (5, "Show/pilot.mp4")]  # pads not listed
    items = plan_items(manifest, "t" * 40, paths, None, pilot_only=False)
    assert [(i.file.path, i.file_index) for i in items] == [("pilot.mp4", 5)]  # the locked episode needs a license
    assert [i.file.path for i in plan_items(manifest, "t" * 40, paths, None, pilot_only=True)] == ["pilot.mp4"]
    assert items[0].heading == f"{manifest.title} — Pilot"  # what the player shows above the picture
    offer = offer_for(manifest)
    assert offer is not None and offer.kind is OfferKind.PLEDGE and offer.label == "Pledge — $9.95"
    assert offer_for(_manifest(GateType.FREE)) is None


def test_file_names_read_as_titles() -> None:
    assert file_title("Album/01 - Low Tide Signal.mp3") == "01 - Low Tide Signal"  # written by a person: kept
    assert file_title("episodes/episode-01.mp4") == "Episode 01"
    assert file_title("pilot.mp4") == "Pilot"
    assert file_title("making_of-part_2.webm") == "Making of part 2"


@pytest.fixture(scope="module")
def video() -> Iterator[VideoBackend]:
    backend = VideoBackend(args=["--aout=dummy"])
    yield backend
    backend.release()


@pytest.fixture
def player_window(qtbot: QtBot, tmp_path: Path, demo_store_url: str, keyring_service: str,
                  video: VideoBackend) -> Iterator[StoreWindow]:
    server = StreamServer()
    server.start()

    def player(engine: Engine) -> PlayerDependencies:
        return PlayerDependencies(Playback(engine, server), video)

    window = open_store_window(qtbot, tmp_path, demo_store_url, keyring_service, player)
    window.desktop.window.resize(1100, 760)
    yield window
    close_store_window(window)
    server.stop()
    LicenseVault(service=keyring_service).forget_store(demo_store_url)


def test_watch_pilot_plays_in_the_player_tab_while_it_downloads(qtbot: QtBot, player_window: StoreWindow) -> None:
    window = player_window
    assert window.desktop.window.page_titles() == ["Store", "Library", "Player", "Live", "Transfers", "Settings"]
    wait_for_catalog(qtbot, window)
    open_bundle(qtbot, window, "Lumen Drift: Season One")
    press(window, "pilot")
    page = window.player.page
    assert isinstance(page, PlayerPage)
    qtbot.waitUntil(lambda: window.desktop.window.tabs.currentWidget() is page, timeout=60_000)
    item = page.current_item
    assert item is not None and item.file.path == "pilot.mp4"
    qtbot.waitUntil(lambda: page.time_ms > 1000, timeout=60_000)
    assert page.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: _video_is_lit(page), timeout=10_000)  # the picture is in the window, not black
    # The subtitle files the demo ships beside the pilot: offered, the first shown, and switched off on request.
    assert page.subtitle_labels == ["English", "Español"]
    qtbot.waitUntil(lambda: len(page._player.subtitle_tracks()) == 2 and page._player.subtitle_track >= 0,
                    timeout=20_000)
    page.choose_subtitle(-1)
    qtbot.waitUntil(lambda: page._player.subtitle_track == -1, timeout=5_000)


def _video_is_lit(page: PlayerPage) -> bool:
    screen = QGuiApplication.primaryScreen().grabWindow(0).toImage()
    origin = page.video.mapToGlobal(page.video.rect().topLeft())
    lit = 0
    for x in range(10, page.video.width() - 10, 37):
        for y in range(10, page.video.height() - 10, 29):
            lit += screen.pixelColor(origin.x() + x, origin.y() + y).lightness() > 40
    return lit > 20


def test_play_on_an_album_you_do_not_own_plays_its_free_track(qtbot: QtBot, player_window: StoreWindow) -> None:
    window = player_window
    wait_for_catalog(qtbot, window)
    open_bundle(qtbot, window, "Harbor Lights")
    window.section.store_page.bundle_page.play_requested.emit(window.section.store_page.bundle_page.detail.id)  # type: ignore[union-attr]
    page = window.player.page
    assert isinstance(page, PlayerPage)
    qtbot.waitUntil(lambda: page.current_item is not None, timeout=60_000)
    assert page.current_item is not None and page.current_item.file.path == "01 - Low Tide Signal.mp3"
    assert page.playlist.count() == 1  # the locked tracks are not offered without a license
    qtbot.waitUntil(lambda: page.time_ms > 1000, timeout=60_000)
    assert page.stack.currentWidget() is page.cover
    qtbot.waitUntil(lambda: not page.cover.pixmap().isNull(), timeout=30_000)  # the album's cover, not a black box


def test_the_players_offer_opens_the_bundle_in_the_store(qtbot: QtBot, player_window: StoreWindow) -> None:
    window = player_window
    wait_for_catalog(qtbot, window)
    open_bundle(qtbot, window, "Harbor Lights")
    bundle_id = window.section.store_page.bundle_page.detail.id  # type: ignore[union-attr]
    window.section.grid.setFocus()
    window.section.store_page.stack.setCurrentWidget(window.section.grid)
    page = window.player.page
    assert isinstance(page, PlayerPage)
    with qtbot.waitSignal(window.section.actions.bundle_loaded, timeout=30_000):
        page.offer_requested.emit(bundle_id)
    assert window.desktop.window.tabs.currentWidget() is window.section.store_page
    assert window.section.store_page.bundle_page.visible_actions() == ["Buy $7.00…"]


def test_the_demo_pilots_end_offers_watch_again_and_a_readable_pledge_with_the_campaigns_progress(
    qtbot: QtBot, player_window: StoreWindow
) -> None:
    """The demo's own pilot, watched from the store in the app's window: at its end the pledge offer shows the
    campaign's figures as the store gives them, every line of it readable (WCAG AA in a screenshot), and *Watch
    again* plays the pilot from its start."""
    window = player_window
    wait_for_catalog(qtbot, window)
    open_bundle(qtbot, window, "Lumen Drift: Season One")
    detail = window.section.store_page.bundle_page.detail
    assert detail is not None and detail.campaign is not None
    press(window, "pilot")
    page = window.player.page
    assert isinstance(page, PlayerPage)
    qtbot.waitUntil(lambda: page.time_ms > 1000, timeout=60_000)
    page.seek(0.97)
    qtbot.waitUntil(lambda: page.showing_offer, timeout=60_000)
    panel = page.offer_panel
    qtbot.waitUntil(lambda: panel.button.isVisible() and panel.again_button.isVisible(), timeout=10_000)
    assert panel.button.text() == "Pledge — $9.95"
    goal = detail.campaign.goal_backers
    assert goal and panel.progress_label.text().startswith(f"{detail.campaign.backers:,} of {goal:,} backers · ")
    panel.repaint()  # painted now, before the screen is grabbed
    for widget in (panel.button, panel.headline, panel.reason, panel.progress_label, panel.again_button):
        widget.repaint()
        ratio = text_contrast(widget)
        assert ratio >= 4.5, f"{widget.objectName() or type(widget).__name__} contrast {ratio:.2f}:1"
    assert page.ended
    panel.again_button.click()
    qtbot.waitUntil(lambda: not page.showing_offer and page.time_ms > 0, timeout=20_000)
    assert page.time_ms < 20_000 and not page.ended  # from the start (the pilot is two minutes long), playing
