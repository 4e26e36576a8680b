"""Alternative speed limits and their scheduler (qBittorrent's "Schedule the use of alternative rate limits").

``SpeedSchedule`` says when the alternative limits apply: a daily window from ``start`` to ``end`` (local time; a window
whose end is before its start runs over midnight and belongs to the day it starts) on some days of the week.
``AltSpeedSwitch`` holds whether the alternative limits are on now. The user may flip it by hand (the tray menu,
the Settings page) at any time; the schedule flips it only at its edges — when the window opens or closes — so a
hand-made choice lasts until the next edge, as in qBittorrent. Time comes from an injected ``clock`` (tests set it).
``tick()`` is called every few seconds; ``apply(alternative)`` is called whenever the state changes.

No Qt, no threads of its own: called from whichever thread owns the switch (the UI's timer, the seedbox loop).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

EVERY_DAY = frozenset(range(7))  # Monday = 0 … Sunday = 6, as datetime.weekday()
WEEKDAYS = frozenset(range(5))
WEEKENDS = frozenset({5, 6})


@dataclass(frozen=True, slots=True)
class SpeedSchedule:
    enabled: bool = False
    start: time = time(8, 0)
    end: time = time(20, 0)
    days: frozenset[int] = EVERY_DAY

    def is_active(self, now: datetime) -> bool:
        """Whether ``now`` falls inside a scheduled window."""
        if not self.enabled or self.start == self.end:
            return False
        clock = now.time()
        if self.start < self.end:
            return now.weekday() in self.days and self.start <= clock < self.end
        # Over midnight: the part after midnight belongs to the previous day's window.
        if clock >= self.start:
            return now.weekday() in self.days
        return clock < self.end and (now - timedelta(days=1)).weekday() in self.days


def parse_clock(text: str) -> time:
    """"HH:MM" → time; ValueError with the text for anything else."""
    hours, minutes = text.strip().split(":")
    return time(int(hours), int(minutes))


class AltSpeedSwitch:
    """Whether the alternative limits are on: by hand, or flipped by the schedule at its edges."""

    def __init__(self, apply: Callable[[bool], None], clock: Callable[[], datetime] = datetime.now) -> None:
        self._apply = apply
        self._clock = clock
        self._schedule = SpeedSchedule()
        self._alternative = False
        self._window_open: bool | None = None  # the schedule's state at the last tick

    @property
    def alternative(self) -> bool:
        return self._alternative

    def configure(self, schedule: SpeedSchedule, alternative: bool) -> None:
        """New settings: the schedule, and the state the user last chose. A new schedule decides at once; the same
        schedule again (other settings saved) keeps its edge memory, so a hand-made choice stands."""
        self._set(alternative)
        if schedule != self._schedule:
            self._schedule = schedule
            self._window_open = None
        self.tick()

    def set_alternative(self, on: bool) -> None:
        """By hand: lasts until the schedule's next edge."""
        self._set(on)

    def toggle(self) -> None:
        self._set(not self._alternative)

    def tick(self) -> None:
        """Look at the clock; at a window's edge (or the first look), follow the schedule."""
        if not self._schedule.enabled:
            self._window_open = None
            return
        open_now = self._schedule.is_active(self._clock())
        if open_now != self._window_open:
            self._window_open = open_now
            self._set(open_now)

    def _set(self, on: bool) -> None:
        if on != self._alternative:
            self._alternative = on
            self._apply(on)
