"""The seeding contribution in words, for the tray: "2.4 GB uploaded this week to 37 fans".

``WeeklyContribution`` adds up what the torrents uploaded since Monday 00:00 (local time) from the stats batches —
each snapshot's all-time upload counter, counted from the second sighting on, so a restart adds nothing twice —
and counts the distinct peers ("fans") that were sent data, from peer lists sampled now and then. Peers are kept
only as salted SHA-256 digests (the salt is random per installation), never as addresses. Counters are saved
atomically to one JSON file (``save``), so the week's figures survive restarts; a new week starts from zero; an
unreadable file starts the week afresh with a log line.

No Qt, no threads of its own: called from one thread (the UI's), ``save`` touches the disk (a worker or at exit).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path

from app.atomic_write import write_atomically
from app.engine.types import TorrentId, TorrentSnapshot

log = logging.getLogger(__name__)

CONTRIBUTION_FILE_NAME = "contribution.json"


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of ``now``'s week."""
    return (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


def human_bytes(count: int) -> str:
    """Decimal units as people say them: 950 bytes, 12 kB, 3.4 MB, 2.4 GB, 1.1 TB."""
    if count < 1000:
        return f"{count} bytes"
    value = float(count)
    for unit in ("kB", "MB", "GB", "TB", "PB"):
        value /= 1000
        if value < 1000 or unit == "PB":
            return f"{value:.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


class WeeklyContribution:
    """This week's uploaded bytes and fans, persisted."""

    def __init__(self, state_dir: Path, clock: Callable[[], datetime] = datetime.now) -> None:
        self._path = state_dir / CONTRIBUTION_FILE_NAME
        self._clock = clock
        self._week = week_start(clock()).isoformat()
        self._uploaded = 0
        self._fans: set[str] = set()
        self._salt = secrets.token_hex(16)
        self._last_seen: dict[TorrentId, int] = {}
        self._load()

    @property
    def uploaded(self) -> int:
        self._roll_week()
        return self._uploaded

    @property
    def fans(self) -> int:
        self._roll_week()
        return len(self._fans)

    def sentence(self) -> str:
        """"2.4 GB uploaded this week to 37 fans" (or "Nothing uploaded yet this week")."""
        uploaded, fans = self.uploaded, self.fans
        if uploaded == 0:
            return "Nothing uploaded yet this week"
        to_whom = f" to {fans} fan{'s' if fans != 1 else ''}" if fans else ""
        return f"{human_bytes(uploaded)} uploaded this week{to_whom}"

    def take_batch(self, snapshots: Iterable[TorrentSnapshot]) -> None:
        """Add what each torrent uploaded since it was last seen."""
        self._roll_week()
        for snap in snapshots:
            before = self._last_seen.get(snap.id)
            self._last_seen[snap.id] = snap.total_uploaded
            if before is not None and snap.total_uploaded > before:
                self._uploaded += snap.total_uploaded - before

    def take_fans(self, addresses: Iterable[str]) -> None:
        """Peers ("host" or "host:port") that were sent data; counted once a week each, by host."""
        self._roll_week()
        for address in addresses:
            host = address.rsplit(":", 1)[0] if address.count(":") == 1 else address
            self._fans.add(hashlib.sha256(f"{self._salt}|{host}".encode()).hexdigest()[:32])

    def snapshot_bytes(self) -> bytes:
        """What ``write`` saves, taken on the owning thread (the write itself may run on a worker)."""
        payload = {"version": 1, "week": self._week, "uploaded": self._uploaded, "fans": sorted(self._fans),
                   "salt": self._salt}
        return json.dumps(payload).encode("utf-8")

    def save(self) -> None:
        self.write(self.snapshot_bytes())

    def write(self, data: bytes) -> None:
        """Save ``snapshot_bytes()`` atomically (any thread); a failure is logged, the counting goes on."""
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self._path, data)
        except OSError as exc:
            log.warning("could not save the week's seeding figures: %s", exc)

    def _roll_week(self) -> None:
        current = week_start(self._clock()).isoformat()
        if current != self._week:
            self._week, self._uploaded, self._fans = current, 0, set()

    def _load(self) -> None:
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            week, uploaded, fans, salt = raw["week"], int(raw["uploaded"]), set(raw["fans"]), str(raw["salt"])
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("the week's seeding figures are unreadable (%s); counting afresh", exc)
            return
        self._salt = salt
        if week == self._week:
            self._uploaded, self._fans = max(0, uploaded), {str(fan) for fan in fans}
