"""The speed graph and the status line over a real download from a loopback seeder: the graph's total and the
selected torrent's series show the download while it runs; the line shows the torrent count, DHT nodes and the
download disk's free space."""

from __future__ import annotations

from pathlib import Path

from app.engine import Engine
from app.ui.bridge import EngineBridge
from app.ui.tasks import ThreadPoolTaskRunner
from app.ui.transfers.page import TransfersPage
from tests.engine.helpers import make_torrent, wait_snapshot, write_payload
from tests.ui.conftest import Peer, start_engine


def test_the_speed_graph_and_status_line_follow_a_real_download(qtbot, tmp_path: Path, seeder: Peer) -> None:
    content = tmp_path / "seed" / "Slow One"
    write_payload(content, {"big.bin": 1_200_000}, seed=3)
    torrent = make_torrent(content)
    seed_id = seeder.engine.add_torrent_bytes(torrent, content.parent)
    wait_snapshot(seeder.engine, seed_id, lambda s: s.progress >= 1.0, 30, "seeder checked")
    engine: Engine = start_engine(tmp_path / "state")
    try:
        bridge = EngineBridge(engine)
        page = TransfersPage(engine, ThreadPoolTaskRunner(), lambda: tmp_path / "downloads")
        bridge.stats_updated.connect(page.apply_stats)
        qtbot.addWidget(page)
        page.show()
        page.details.setCurrentWidget(page.speed_graph)
        tid = engine.add_torrent_bytes(torrent, tmp_path / "downloads")
        engine.set_torrent_limits(tid, download=300_000)  # a few seconds of downloading
        engine.connect_peer(tid, seeder.address, seeder.engine.listen_port or 0)
        qtbot.waitUntil(lambda: page.select_torrent(tid), timeout=10_000)
        # The event loop must run meanwhile: the graph takes one sample per stats batch.
        qtbot.waitUntil(lambda: max(page.speed_graph.shown_series()[0], default=0) > 0, timeout=30_000)
        engine.set_torrent_limits(tid, download=0)  # the graph has its samples: the rest need not crawl
        qtbot.waitUntil(lambda: engine.snapshot(tid).progress >= 1.0, timeout=60_000)
        page.speed_graph.scope.setCurrentIndex(1)  # the selected torrent
        assert max(page.speed_graph.shown_series()[0]) > 0
        qtbot.waitUntil(lambda: "Free space: " in page.status_strip.text(), timeout=10_000)
        assert "1 torrents" in page.status_strip.text() and "DHT: 0 nodes" in page.status_strip.text()
        bridge.close()
    finally:
        engine.shutdown()
