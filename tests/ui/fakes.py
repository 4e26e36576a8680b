"""A small in-memory stand-in for the engine, for unit tests of the Transfers page's logic.

Every page also has a test through the real engine (test_transfers_real.py); this fake only records calls
and publishes events the way the engine does (on another thread).
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from app.engine.errors import InvalidMagnetError, UnknownTorrentError
from app.engine.events import EngineEvent, StatsUpdated, TorrentAdded, TorrentRemoved
from app.engine.labels import LabelBook
from app.engine.seed_limits import SeedLimitBook
from app.engine.types import FileEntry, PeerEntry, SessionTotals, TorrentSnapshot, TorrentState, TrackerEntry


def snapshot(tid: str, name: str = "", **changes: object) -> TorrentSnapshot:
    values: dict[str, object] = {
        "id": tid,
        "name": name or f"torrent {tid[:6]}",
        "state": TorrentState.DOWNLOADING,
        "progress": 0.0,
        "download_rate": 0,
        "upload_rate": 0,
        "num_peers": 0,
        "num_seeds": 0,
        "eta_seconds": None,
        "ratio": 0.0,
        "total_size": 1000,
        "wanted_size": 1000,
        "wanted_done": 0,
        "total_uploaded": 0,
        "total_downloaded": 0,
        "save_path": "/tmp/downloads",
        "has_metadata": True,
        "paused": False,
        "error": None,
        "added_at": time.time(),
    }
    values.update(changes)
    return TorrentSnapshot(**values)  # type: ignore[arg-type]


TOTALS = SessionTotals(0, 0, 0, 0, 0, None)


class FakeEngine:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self._subscribers: list[Callable[[EngineEvent], None]] = []
        self.torrents: dict[str, TorrentSnapshot] = {}
        # The real (Qt-free) categories and tags, in a folder of their own.
        self.labels = LabelBook(Path(tempfile.mkdtemp(prefix="fake-engine-labels-")), lambda tid: tid in self.torrents)
        self.seed_limits = SeedLimitBook(Path(tempfile.mkdtemp(prefix="fake-engine-seed-")), self.torrents.__contains__)

    def subscribe(self, callback: Callable[[EngineEvent], None]) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def publish_from_thread(self, event: EngineEvent) -> None:
        """Deliver an event on a thread of its own, as the engine's alert thread does."""
        thread = threading.Thread(target=lambda: [cb(event) for cb in list(self._subscribers)])
        thread.start()
        thread.join()

    def _add(self, tid: str, name: str) -> str:
        self.torrents[tid] = snapshot(tid, name)
        self.publish_from_thread(TorrentAdded(tid, name))
        self.publish_from_thread(StatsUpdated((self.torrents[tid],), TOTALS))
        return tid

    def add_torrent_file(self, path: Path, save_path: Path, *, paused: bool = False) -> str:
        self.calls.append(("add_torrent_file", (path, save_path)))
        return self._add(f"{abs(hash(str(path))):040x}"[:40], Path(path).stem)

    def add_magnet(self, uri: str, save_path: Path, *, paused: bool = False) -> str:
        self.calls.append(("add_magnet", (uri, save_path)))
        if "xt=urn:btih:" not in uri:
            raise InvalidMagnetError("This magnet link is cut short: the code that names the download is missing or "
                                     "incomplete. Copy the whole link again.")
        return self._add(uri.split("xt=urn:btih:")[1][:40].lower(), "magnet")

    def pause(self, tid: str) -> None:
        self.calls.append(("pause", tid))

    def resume(self, tid: str) -> None:
        self.calls.append(("resume", tid))

    def remove(self, tid: str, *, delete_data: bool = False) -> None:
        self.calls.append(("remove", (tid, delete_data)))
        self.torrents.pop(tid, None)
        self.publish_from_thread(TorrentRemoved(tid))

    def set_file_priorities(self, tid: str, priorities: Sequence[int]) -> None:
        self.calls.append(("set_file_priorities", (tid, list(priorities))))

    def files(self, tid: str) -> list[FileEntry]:
        if tid not in self.torrents:
            raise UnknownTorrentError("That torrent is no longer in Bundlecast.")
        return [FileEntry(0, "a/one.bin", 600, 300, 4), FileEntry(1, "a/two.bin", 400, 0, 4)]

    def peers(self, tid: str) -> list[PeerEntry]:
        return [PeerEntry("127.0.0.5:6881", "libtorrent", 1000, 0, 1.0, True)]

    def dht_nodes(self) -> int:
        return 0

    def trackers(self, tid: str) -> list[TrackerEntry]:
        return [TrackerEntry("http://127.0.0.1:1/announce", 0, "working", 1, 0)]
