"""RSS auto-download against feeds served on 127.0.0.1 and a real engine: episode 2 is fetched once and never
again (not in another quality, not after a restart); huge, slow and XML-bomb feeds are refused with a sentence and
disturb nothing else."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from app.automation.rss import FeedRule, RssDownloader, episode_of
from app.engine import Engine, EngineSettings
from tests.engine.helpers import make_torrent, write_payload
from tests.support.net import loopback_address

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title></channel></rss>"""


class FeedServer(BaseHTTPRequestHandler):
    items: list[tuple[str, str]] = []  # (title, torrent name)
    torrents: dict[str, bytes] = {}
    fetched: Counter[str] = Counter()

    def do_GET(self) -> None:
        if self.path == "/feed.xml":
            body = self._feed()
        elif self.path == "/huge.xml":
            body = b"<rss>" + b" " * (3 * 1024 * 1024) + b"</rss>"
        elif self.path == "/bomb.xml":
            body = BOMB
        elif self.path == "/slow.xml":
            self.send_response(200)
            self.end_headers()
            for _ in range(60):  # a byte every 0.1 s: 6 s for 60 bytes
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.1)
            return
        elif self.path.startswith("/t/"):
            name = self.path[3:]
            type(self).fetched[name] += 1
            body = type(self).torrents[name]
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _feed(self) -> bytes:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        entries = "".join(
            f"<item><title>{title}</title><guid>{title}</guid>"
            f'<enclosure url="{base}/t/{name}" type="application/x-bittorrent" length="1"/></item>'
            for title, name in type(self).items
        )
        channel = f"<channel><title>Shows</title>{entries}</channel>"
        return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    FeedServer.items, FeedServer.torrents, FeedServer.fetched = [], {}, Counter()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FeedServer)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "state")
    engine.start()
    yield engine
    engine.shutdown()


def _downloader(engine: Engine, tmp_path: Path, timeout: float = 15.0) -> RssDownloader:
    def add_torrent(data: bytes, category: str) -> str:
        tid = engine.add_torrent_bytes(data, tmp_path / "downloads")
        if category:
            engine.labels.set_category(tid, category)
        return tid

    return RssDownloader(tmp_path / "state", lambda uri, _c: engine.add_magnet(uri, tmp_path / "downloads"),
                         add_torrent, feed_timeout=timeout)


def _episode(tmp_path: Path, name: str) -> bytes:
    write_payload(tmp_path / "made" / name, {"video.mkv": 20_000})
    return make_torrent(tmp_path / "made" / name)


def test_episode_names() -> None:
    assert episode_of("Lumen Drift S01E02 720p") == "S01E02"
    assert episode_of("Lumen Drift 1x02 [1080p]") == "S01E02"
    assert episode_of("Lumen Drift trailer") is None


def test_episode_two_is_fetched_once_and_never_again(engine: Engine, server: str, tmp_path: Path) -> None:
    engine.labels.create_category("Series")
    for name in ("e1", "e2-720", "e2-1080", "other"):
        FeedServer.torrents[name] = _episode(tmp_path, name)
    rule = FeedRule("Lumen", f"{server}/feed.xml", must_contain=("lumen", "drift"), must_not_contain=("trailer",),
                    category="Series")
    FeedServer.items = [("Lumen Drift S01E01 720p", "e1"), ("Lumen Drift trailer", "other")]
    downloader = _downloader(engine, tmp_path)
    first = downloader.check([rule])
    assert [title for title, _ in first.added] == ["Lumen Drift S01E01 720p"]

    FeedServer.items = [("Lumen Drift S01E02 720p", "e2-720"), ("Lumen Drift 1x02 1080p", "e2-1080"),
                        ("Lumen Drift S01E01 720p", "e1"), ("Something else S01E02", "other")]
    second = downloader.check([rule])
    assert [title for title, _ in second.added] == ["Lumen Drift S01E02 720p"]
    tid = second.added[0][1]
    assert engine.labels.current().category(tid) == "Series"
    assert downloader.check([rule]).added == ()
    again = _downloader(engine, tmp_path)  # after a restart
    assert again.check([rule]).added == ()
    assert FeedServer.fetched == Counter({"e1": 1, "e2-720": 1})
    assert len(engine.torrent_ids()) == 2


@pytest.mark.parametrize(("path", "sentence"), [
    ("/huge.xml", "is larger than 2 MB"),
    ("/bomb.xml", "declares XML entities"),
    ("/slow.xml", "took longer than 2 s"),
])
def test_hostile_feeds_are_refused_and_disturb_nothing(
    engine: Engine, server: str, tmp_path: Path, path: str, sentence: str
) -> None:
    FeedServer.torrents["e1"] = _episode(tmp_path, "e1")
    FeedServer.items = [("Good S01E01", "e1")]
    rules = [FeedRule("Bad", f"{server}{path}"), FeedRule("Good", f"{server}/feed.xml")]
    result = _downloader(engine, tmp_path, timeout=2.0).check(rules)
    assert len(result.problems) == 1 and sentence in result.problems[0]
    assert [title for title, _ in result.added] == ["Good S01E01"]
