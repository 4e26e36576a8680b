"""Transfer automation on real engines: the scheduler switches the session to the alternative limits at the set
time and back (a clock the test controls), and a metered network — faked at the Qt level, an object with Qt's
``isMetered``/``isMeteredChanged`` — stops a real seeder's uploads until it ends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QObject, Signal

from app.engine import Engine, EngineSettings
from app.settings import AppSettings
from app.ui.tasks import ThreadPoolTaskRunner
from app.ui.transfer_automation import TransferAutomation
from tests.engine.helpers import make_torrent, wait_snapshot, write_payload
from tests.support.net import loopback_address
from tests.ui.conftest import start_engine


class FakeNetworkInformation(QObject):
    """What QNetworkInformation offers about metering, driven by the test."""

    isMeteredChanged = Signal(bool)  # noqa: N815 - Qt's name

    def __init__(self) -> None:
        super().__init__()
        self._metered = False

    def isMetered(self) -> bool:
        return self._metered

    def set_metered(self, metered: bool) -> None:
        self._metered = metered
        self.isMeteredChanged.emit(metered)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = start_engine(tmp_path / "state")
    yield engine
    engine.shutdown()


@pytest.fixture
def owner(qtbot) -> Iterator[QObject]:
    """The parent of the Qt objects a test makes (task runner, automation, fake network), deleted here on the main
    thread when the test ends — before the engine fixture shuts its engine down. Left without a parent they sat in
    reference cycles until a garbage collection, which may run on an engine's alert thread: their timers were then
    destroyed off the main thread, a QTimer fired into freed memory and the process died (SIGSEGV in
    QApplicationPrivate::notify_helper from QTimerInfoList::activateTimers; 3 runs in 3 after tests/remote once
    i12-engine's alert-thread work was merged with i12-transfers)."""
    parent = QObject()
    yield parent
    shiboken6.delete(parent)


def test_the_scheduler_switches_to_the_alternative_limits_at_the_set_time_and_back(
    qtbot, engine: Engine, owner: QObject, tmp_path: Path
) -> None:
    settings = AppSettings(
        download_rate_limit_kib=0, upload_rate_limit_kib=0,
        alt_download_rate_limit_kib=100, alt_upload_rate_limit_kib=50,
        alt_schedule_enabled=True, alt_schedule_from="08:00", alt_schedule_to="20:00", alt_schedule_days=0b1111111,
    )
    now = [datetime(2026, 12, 4, 7, 59)]
    base = EngineSettings.for_loopback_tests(loopback_address())
    automation = TransferAutomation(
        engine, ThreadPoolTaskRunner(parent=owner), lambda: settings, base, clock=lambda: now[0], tick_ms=50,
        parent=owner,
    )
    automation.settings_changed(settings)
    qtbot.wait(200)  # several ticks at 07:59
    assert engine.rate_limits() == (0, 0) and not automation.alternative
    now[0] = datetime(2026, 12, 4, 8, 0)
    qtbot.waitUntil(lambda: engine.rate_limits() == (100 * 1024, 50 * 1024), timeout=5000)
    assert automation.alternative
    now[0] = datetime(2026, 12, 4, 20, 0)
    qtbot.waitUntil(lambda: engine.rate_limits() == (0, 0), timeout=5000)
    assert not automation.alternative


def test_a_metered_network_stops_uploads_and_its_end_resumes_them(qtbot, owner: QObject, tmp_path: Path) -> None:
    content = tmp_path / "seed" / "Metered"
    write_payload(content, {"big.bin": 3_000_000}, seed=5)
    torrent = make_torrent(content)
    seeder_address = loopback_address()
    seeder = start_engine(tmp_path / "seeder", seeder_address)
    leecher = start_engine(tmp_path / "leecher")
    try:
        seed_id = seeder.add_torrent_bytes(torrent, content.parent)
        wait_snapshot(seeder, seed_id, lambda s: s.progress >= 1.0, 30, "seeder checked")
        network = FakeNetworkInformation()
        network.setParent(owner)
        settings = AppSettings(no_upload_on_metered=True)
        automation = TransferAutomation(
            seeder, ThreadPoolTaskRunner(parent=owner), lambda: settings,
            EngineSettings.for_loopback_tests(seeder_address), network=network, parent=owner,
        )
        automation.settings_changed(settings)
        # The seeder's own limit paces it (~10 s for the file), so little waits in socket buffers when uploads stop.
        seeder.set_torrent_limits(seed_id, upload=300_000)
        tid = leecher.add_torrent_bytes(torrent, tmp_path / "downloads")
        leecher.connect_peer(tid, seeder_address, seeder.listen_port or 0)
        qtbot.waitUntil(lambda: leecher.snapshot(tid).wanted_done > 0, timeout=20_000)

        network.set_metered(True)
        assert not automation.uploads_allowed
        # The gate closes at once; what already sat in socket buffers still arrives, then nothing more.
        last = [leecher.snapshot(tid).wanted_done, time.monotonic()]

        def unchanged_for_two_seconds() -> bool:
            done = leecher.snapshot(tid).wanted_done
            if done != last[0]:
                last[:] = [done, time.monotonic()]
            return time.monotonic() - last[1] >= 2.0

        qtbot.waitUntil(unchanged_for_two_seconds, timeout=20_000)
        readings = [last[0]]
        stopped_at = readings[-1]
        assert stopped_at < 3_000_000
        qtbot.wait(1500)
        assert leecher.snapshot(tid).wanted_done == stopped_at  # still nothing while metered

        network.set_metered(False)
        # The pace is no longer needed: the rest may come at full speed, but only through the reopened gate (the
        # gate is the peer classes' upload limit, apart from this torrent's own).
        seeder.set_torrent_limits(seed_id, upload=0)
        qtbot.waitUntil(lambda: leecher.snapshot(tid).progress >= 1.0, timeout=60_000)
        assert (tmp_path / "downloads" / "Metered" / "big.bin").read_bytes() == (content / "big.bin").read_bytes()
    finally:
        leecher.shutdown()
        seeder.shutdown()


def test_the_window_adds_a_torrent_dropped_into_the_watched_folder_once(
    qtbot, engine: Engine, owner: QObject, tmp_path: Path
) -> None:
    watched = tmp_path / "watched"
    watched.mkdir()
    settings = AppSettings(watched_folder=str(watched))
    automation = TransferAutomation(
        engine, ThreadPoolTaskRunner(parent=owner), lambda: settings,
        EngineSettings.for_loopback_tests(loopback_address()), download_dir=lambda: tmp_path / "downloads",
        parent=owner,
    )
    messages: list[str] = []
    automation.message.connect(messages.append)
    automation.settings_changed(settings)
    write_payload(tmp_path / "made" / "Dropped", {"f.bin": 30_000})
    (watched / "Dropped.torrent").write_bytes(make_torrent(tmp_path / "made" / "Dropped"))
    qtbot.waitUntil(lambda: "Added Dropped.torrent from the watched folder." in messages, timeout=20_000)
    assert len(engine.torrent_ids()) == 1
    for _ in range(3):  # three more scans find nothing to add
        automation.scan_watched_folder()
        qtbot.waitUntil(lambda: not automation._scanning, timeout=10_000)
    assert messages == ["Added Dropped.torrent from the watched folder."]
    assert (watched / "added" / "Dropped.torrent").exists()
