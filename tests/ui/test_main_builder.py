"""The composition root (`app.main.build_app`) with a store URL given on the command line: the app uses that
store and starts no embedded one; the Qt-free option parsing keeps user arguments away from Qt; the "slow other
downloads while watching" setting reaches the real player and, through it, libtorrent."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.bundle import ManifestFile
from app.engine import Engine
from app.main import LaunchOptions, build_app, parse_options
from app.paths import AppPaths
from app.player.items import PlayItem
from app.settings import AppSettings, SettingsStore
from app.store.vault import LicenseVault
from app.ui.application import create_application
from tests.support.net import loopback_address


def test_parse_options() -> None:
    options = parse_options(["--store", "http://127.0.0.1:9", "--minimized", "magnet:?xt=urn:btih:" + "a" * 40])
    assert options.store_url == "http://127.0.0.1:9"
    assert options.minimized
    assert options.sources == ["magnet:?xt=urn:btih:" + "a" * 40]


def test_a_configured_store_is_used_instead_of_the_embedded_one(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_store_url: str
) -> None:
    monkeypatch.setenv("BUNDLECAST_HOME", str(tmp_path / "home"))
    paths = AppPaths.from_environment().ensure()
    create_application()
    running = build_app(paths, LaunchOptions(store_url=demo_store_url, loopback_test_address=loopback_address()))
    assert running is not None
    try:
        section = running.window.store
        assert section is not None
        qtbot.waitUntil(lambda: section.grid.grid.count() >= 5, timeout=60_000)
        assert running.desktop.window.status_label.text() == "Store: Bundlecast Demo Store"
        assert not (paths.data / "store").exists()  # no embedded store was started
    finally:
        running.desktop.request_quit()
        running.shutdown()
        LicenseVault().forget_store(demo_store_url)


def _download_limits(engine: Engine) -> dict[str, int]:
    """Each torrent's own download limit as libtorrent holds it (the engine has no getter; read for the test)."""
    session = engine._session  # the proof comes from libtorrent itself
    assert session is not None
    return {str(h.info_hashes().v1): h.download_limit() for h in session.get_torrents()}


def test_slow_other_downloads_while_watching_is_a_setting_the_player_follows(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_store_url: str
) -> None:
    monkeypatch.setenv("BUNDLECAST_HOME", str(tmp_path / "home"))
    paths = AppPaths.from_environment().ensure()
    SettingsStore(paths.config).save(AppSettings(slow_others_rate_kib=300))
    create_application()
    running = build_app(paths, LaunchOptions(store_url=demo_store_url, loopback_test_address=loopback_address()))
    assert running is not None
    try:
        playback = running.player.playback
        assert playback is not None, "VLC is installed here: the app must have a player"
        other = running.engine.add_magnet(f"magnet:?xt=urn:btih:{'ab' * 20}&dn=other", tmp_path / "dl", paused=True)
        watched = PlayItem("cd" * 20, 0, ManifestFile("pilot.mp4", 100, "video/mp4", False), title="Pilot")
        page = running.desktop.settings_page
        assert page.slow_others.isChecked() and page.slow_others_rate.value() == 300

        playback.start_watching(watched)
        qtbot.waitUntil(lambda: _download_limits(running.engine)[other] == 300 * 1024, timeout=10_000)
        playback.stop_watching()
        qtbot.waitUntil(lambda: _download_limits(running.engine)[other] == 0, timeout=10_000)

        page.slow_others.setChecked(False)  # the fan turns it off on the Settings page
        assert not page.slow_others_rate.isEnabled()
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
        playback.start_watching(watched)
        running.engine.set_torrent_limits(other, upload=1)  # a later command: once applied, the earlier ones are
        qtbot.waitUntil(lambda: _upload_limit(running.engine, other) == 1, timeout=10_000)
        assert _download_limits(running.engine)[other] == 0  # not slowed any more
        qtbot.waitUntil(lambda: not SettingsStore(paths.config).load().slow_others_while_watching, timeout=10_000)
    finally:
        running.desktop.request_quit()
        running.shutdown()
        LicenseVault().forget_store(demo_store_url)


def _upload_limit(engine: Engine, torrent_id: str) -> int:
    session = engine._session
    assert session is not None
    return next(h.upload_limit() for h in session.get_torrents() if str(h.info_hashes().v1) == torrent_id)
