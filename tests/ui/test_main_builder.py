"""The composition root (`app.main.build_app`) with a store URL given on the command line: the app uses that
store and starts no embedded one; the Qt-free option parsing keeps user arguments away from Qt."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.main import LaunchOptions, build_app, parse_options
from app.paths import AppPaths
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
        section = running.desktop.store_section
        assert section is not None
        qtbot.waitUntil(lambda: section.grid.grid.count() >= 5, timeout=60_000)
        assert running.desktop.window.store_label.text() == "Store: Bundlecast Demo Store"
        assert not (paths.data / "store").exists()  # no embedded store was started
    finally:
        running.desktop.request_quit()
        running.shutdown()
        LicenseVault().forget_store(demo_store_url)
