"""RSS in the window: rules written in the RSS rules dialog are saved, and the automation's check fetches a feed
served on 127.0.0.1 and adds the matching episode to the rule's category on a real engine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from app.automation.rss import FeedRule, load_rules
from app.engine import Engine, EngineSettings
from app.settings import AppSettings
from app.ui.rss_rules_dialog import RssRulesDialog
from app.ui.tasks import ThreadPoolTaskRunner
from app.ui.transfer_automation import TransferAutomation
from tests.automation.test_rss import FeedServer
from tests.engine.helpers import make_torrent, write_payload
from tests.support.net import loopback_address
from tests.ui.conftest import start_engine


@pytest.fixture
def feed_url() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FeedServer)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/feed.xml"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = start_engine(tmp_path / "state")
    yield engine
    engine.shutdown()


def test_rules_from_the_dialog_add_the_feeds_episode(qtbot, engine: Engine, feed_url: str, tmp_path: Path) -> None:
    write_payload(tmp_path / "made" / "ep1", {"v.mkv": 20_000})
    FeedServer.torrents = {"ep1": make_torrent(tmp_path / "made" / "ep1")}
    FeedServer.items = [("Night Owls S02E01 720p", "ep1"), ("Night Owls S02E01 trailer", "ep1")]
    engine.labels.create_category("Series", tmp_path / "series")
    config = tmp_path / "config"
    tasks = ThreadPoolTaskRunner()
    dialog = RssRulesDialog(config, tasks)
    qtbot.addWidget(dialog)
    dialog.add_rule(FeedRule("Owls", feed_url, ("night", "owls"), ("trailer",), "Series"))
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        dialog.save()
    assert load_rules(config) == [FeedRule("Owls", feed_url, ("night", "owls"), ("trailer",), "Series")]

    automation = TransferAutomation(
        engine, tasks, AppSettings, EngineSettings.for_loopback_tests(loopback_address()),
        download_dir=lambda: tmp_path / "downloads", rss_dirs=(config, tmp_path / "state"),
    )
    messages: list[str] = []
    automation.message.connect(messages.append)
    automation.check_rss()
    qtbot.waitUntil(lambda: "RSS: added “Night Owls S02E01 720p”." in messages, timeout=20_000)
    (tid,) = engine.torrent_ids()
    assert engine.labels.current().category(tid) == "Series"
    assert Path(engine.snapshot(tid).save_path) == (tmp_path / "series").resolve()
