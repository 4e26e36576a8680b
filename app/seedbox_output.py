"""What the headless seedbox prints: sentences for people (the default), JSON lines for machines (``--json``), or
the terse ``key=value`` lines scripts and tests have parsed so far (``--format lines``).

Every message is one ``emit(kind, **fields)``; each format turns it into one whole line, written under a lock so the
main thread, the engine's alert thread and the restore reporter never interleave. The periodic status is reduced to
*changes only* for people and machines: a torrent is printed when its state, its progress (in whole percent), its
rates (as shown, rounded) or its peer count changed since it was last printed, and the totals when they changed;
the ``lines`` format keeps reprinting everything, as before.

Any thread.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

from app.engine import Engine, EngineEvent, MetadataReceived, TorrentErrored, TorrentFinished, TorrentSnapshot

FORMATS = ("human", "json", "lines")


def human_size(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


def human_rate(rate: int) -> str:
    return f"{human_size(rate)}/s"


def _torrent_fields(snap: TorrentSnapshot) -> dict[str, Any]:
    return {"id": snap.id, "name": snap.name, "state": snap.state.value, "progress": round(snap.progress, 4),
            "done": snap.wanted_done, "down": snap.download_rate, "up": snap.upload_rate, "peers": snap.num_peers}


_HUMAN: dict[str, Callable[[dict[str, Any]], str]] = {
    "ready": lambda f: f"Bundlecast seedbox ready: listening on port {f['port']}, {f['torrents']} torrents.",
    "added": lambda f: f"Added “{f['name']}”.",
    "restored": lambda f: f"Restored “{f['name']}”: {f['state']}, {human_size(f['done'])} verified.",
    "total": lambda f: f"All {f['torrents']} torrents: ↓ {human_rate(f['down'])}  ↑ {human_rate(f['up'])}",
    "torrent": lambda f: (
        f"“{f['name']}”: {f['state']} {f['progress'] * 100:.0f}% — ↓ {human_rate(f['down'])}  "
        f"↑ {human_rate(f['up'])}, {f['peers']} peers"
    ),
    "finished": lambda f: f"Finished “{f['name']}”.",
    "metadata": lambda f: f"Found the files of “{f['name']}”.",
    "error": lambda f: f"Problem with “{f['name']}”: {f['message']}",
    "saved": lambda f: "Saved every torrent. Bye.",
    "remote": lambda f: f"Remote control at {f['url']} (password protected).",
}

_LINES: dict[str, Callable[[dict[str, Any]], str]] = {
    "ready": lambda f: f"ready port={f['port']} torrents={f['torrents']}",
    "added": lambda f: f"added {f['id']} {f['name']}",
    "restored": lambda f: f"restored {f['id']} state={f['state']} done={f['done']}",
    "total": lambda f: f"total torrents={f['torrents']} down={f['down']} up={f['up']}",
    "torrent": lambda f: (
        f"torrent {f['id']} state={f['state']} progress={f['progress']:.4f} done={f['done']} "
        f"down={f['down']} up={f['up']} peers={f['peers']} name={f['name']}"
    ),
    "finished": lambda f: f"finished {f['id']}",
    "metadata": lambda f: f"metadata {f['id']} {f['name']}",
    "error": lambda f: f"error {f['id']} {f['message']}",
    "saved": lambda f: "saved",
    "remote": lambda f: f"remote url={f['url']}",
}


class SeedboxOutput:
    """Prints the seedbox's messages in one of ``FORMATS``."""

    def __init__(self, output_format: str = "human", stream: TextIO | None = None) -> None:
        self._format = output_format
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._last: dict[str, tuple[object, ...]] = {}

    def emit(self, kind: str, **fields: Any) -> None:
        if self._format == "json":
            line = json.dumps({"event": kind, **fields}, ensure_ascii=False)
        else:
            line = (_LINES if self._format == "lines" else _HUMAN)[kind](fields)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def on_event(self, event: EngineEvent) -> None:
        """Engine subscriber (alert thread): the events a seedbox operator cares about."""
        if isinstance(event, TorrentFinished):
            self.emit("finished", id=event.torrent_id, name=event.name)
        elif isinstance(event, MetadataReceived):
            self.emit("metadata", id=event.torrent_id, name=event.name)
        elif isinstance(event, TorrentErrored):
            self.emit("error", id=event.torrent_id, name=event.torrent_id, message=event.message)

    def status(self, engine: Engine) -> None:
        """The totals and the torrents — only what changed, except in the ``lines`` format."""
        totals = engine.totals()
        self._maybe("total", "", (totals.num_torrents, _shown(totals.download_rate), _shown(totals.upload_rate)),
                    torrents=totals.num_torrents, down=totals.download_rate, up=totals.upload_rate)
        for snap in engine.snapshots():
            key = (snap.state, int(snap.progress * 100), _shown(snap.download_rate), _shown(snap.upload_rate),
                   snap.num_peers)
            self._maybe("torrent", snap.id, key, **_torrent_fields(snap))

    def _maybe(self, kind: str, ident: str, key: tuple[object, ...], **fields: Any) -> None:
        if self._format != "lines" and self._last.get(kind + ident) == key:
            return
        self._last[kind + ident] = key
        self.emit(kind, **fields)


def _shown(rate: int) -> int:
    """A rate rounded to two significant figures, so jitter is not news."""
    if rate < 100:
        return 0 if rate < 10 else rate
    digits = len(str(rate)) - 2
    return round(rate, -digits)
