"""The tray's part of issue 12 on a real window and engines: "Alternative speed limits" in the tray menu switches
the real session's limits (and is remembered), and the tooltip says the week's seeding contribution in words —
counted from a real upload to a loopback leecher, and still there after a restart."""

from __future__ import annotations

from pathlib import Path

from app.automation.contribution import WeeklyContribution
from app.engine import Engine, EngineSettings
from app.settings import AppSettings, SettingsStore
from app.ui.desktop import Desktop, DesktopConfig
from tests.engine.helpers import make_torrent, wait_snapshot, write_payload
from tests.support.net import loopback_address
from tests.ui.conftest import start_engine


def test_the_tray_toggles_alternative_limits_and_tells_the_weeks_contribution(qtbot, tmp_path: Path) -> None:
    seeder_address = loopback_address()
    seeder: Engine = start_engine(tmp_path / "seeder-state", seeder_address)
    leecher: Engine = start_engine(tmp_path / "leecher-state")
    try:
        store = SettingsStore(tmp_path / "config")
        store.save(AppSettings(alt_download_rate_limit_kib=64, alt_upload_rate_limit_kib=32))
        # The window applies settings on top of this base: the seeder keeps its own loopback address.
        config = DesktopConfig(tmp_path / "config", tmp_path / "downloads",
                               EngineSettings.for_loopback_tests(seeder_address))
        desktop = Desktop(seeder, store, store.load(), config)
        qtbot.addWidget(desktop.window)
        desktop.start([])
        desktop.tray.alternative_speed_action.trigger()
        qtbot.waitUntil(lambda: seeder.rate_limits() == (64 * 1024, 32 * 1024), timeout=10_000)
        assert desktop.tray.alternative_speed_action.isChecked()
        qtbot.waitUntil(lambda: SettingsStore(tmp_path / "config").load().alt_speed_on, timeout=10_000)
        desktop.tray.alternative_speed_action.trigger()
        qtbot.waitUntil(lambda: seeder.rate_limits() == (0, 0), timeout=10_000)

        content = tmp_path / "seed" / "Gift"
        write_payload(content, {"gift.bin": 1_500_000}, seed=9)
        torrent = make_torrent(content)
        seed_id = seeder.add_torrent_bytes(torrent, content.parent)
        wait_snapshot(seeder, seed_id, lambda s: s.progress >= 1.0, 30, "seeder checked")
        tid = leecher.add_torrent_bytes(torrent, tmp_path / "fan-downloads")
        leecher.set_torrent_limits(tid, download=250_000)  # a few seconds of uploading to sample the fan
        leecher.connect_peer(tid, seeder_address, seeder.listen_port or 0)

        def fan_counted() -> bool:
            desktop.automation.sample_fans()  # what its timer does every minute
            return "to 1 fan" in desktop.tray.tooltip

        qtbot.waitUntil(fan_counted, timeout=30_000)
        leecher.set_torrent_limits(tid, download=0)  # the fan is counted: the rest need not crawl
        qtbot.waitUntil(lambda: leecher.snapshot(tid).progress >= 1.0, timeout=60_000)
        qtbot.waitUntil(lambda: "1.5 MB uploaded this week to 1 fan" in desktop.tray.tooltip, timeout=20_000)
        assert desktop.tray.contribution_action.text() == "1.5 MB uploaded this week to 1 fan"
        desktop.close()
        assert WeeklyContribution(seeder.state_dir).sentence() == "1.5 MB uploaded this week to 1 fan"
    finally:
        leecher.shutdown()
        seeder.shutdown()
