"""Rates a fan reads after a download ends, with the real engine and a real seeder on loopback: the moment a
torrent shows "Seeding", its Down cell and the status bar's ↓ read 0 — not libtorrent's decaying average,
which still reports megabytes per second for several seconds after the last byte arrived."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.engine import Engine, EngineSettings
from app.engine.types import SessionTotals, TorrentSnapshot, TorrentState
from app.settings import AppSettings, SettingsStore
from app.ui.desktop import Desktop, DesktopConfig
from app.ui.transfers.model import Column
from tests.engine.helpers import make_torrent, write_payload
from tests.ui.conftest import Peer


def test_rates_read_zero_once_a_download_has_finished(
    qtbot: QtBot, tmp_path: Path, ui_engine: Engine, seeder: Peer
) -> None:
    content = tmp_path / "seed" / "Night Drive"
    write_payload(content, {"reel.bin": 24 * 1024 * 1024})
    torrent = make_torrent(content, piece_size=256 * 1024)
    torrent_file = tmp_path / "night.torrent"
    torrent_file.write_bytes(torrent)
    seeder.engine.add_torrent_bytes(torrent, content.parent)

    store = SettingsStore(tmp_path / "config")
    store.save(AppSettings(show_add_dialog=False))  # added straight away: this test is about the rates
    config = DesktopConfig(tmp_path / "config", tmp_path / "downloads", EngineSettings.for_loopback_tests("127.0.0.1"))
    desktop = Desktop(ui_engine, store, store.load(), config)
    qtbot.addWidget(desktop.window)
    page = desktop.transfers
    seen: list[tuple[TorrentSnapshot, str, str]] = []  # engine's word, Down cell, status bar — per batch

    def record(snapshots: tuple[TorrentSnapshot, ...], _totals: SessionTotals) -> None:
        for snapshot in snapshots:
            row = page.model.row_of(snapshot.id)
            if row is not None:  # connected after the desktop's own slot: the window is already updated
                down = str(page.model.data(page.model.index(row, Column.DOWN)))
                seen.append((snapshot, down, desktop.window.rates_label.text()))

    desktop.bridge.stats_updated.connect(record)
    try:
        with qtbot.waitSignal(page.torrent_added, timeout=20_000) as added:
            page.add_sources([str(torrent_file)])
        tid = added.args[0]
        port = seeder.engine.listen_port
        assert port
        ui_engine.connect_peer(tid, seeder.address, port)
        # The first batches that say "Seeding", while libtorrent's average still carries the download's rate.
        qtbot.waitUntil(lambda: sum(s.state is TorrentState.SEEDING for s, _, _ in seen) >= 3, timeout=90_000)
        seeding = [(s, down, bar) for s, down, bar in seen if s.id == tid and s.state is TorrentState.SEEDING]
        assert seeding
        for snapshot, down, bar in seeding:
            assert down == "", f"a finished torrent shows Down {down!r} (libtorrent says {snapshot.download_rate})"
            assert bar.startswith("↓ 0 B/s"), bar
    finally:
        desktop.bridge.stats_updated.disconnect(record)
        desktop.close()
