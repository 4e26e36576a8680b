"""CPU time per process tree, from /proc: who used the cores during a load test (store workers, locust, PostgreSQL).

``tree_cpu_s(pid)`` is the CPU seconds (user + system) of a process and all its live descendants, plus what their
reaped children used (``cutime``/``cstime``), so a PostgreSQL backend that exits mid-run still counts: it moves from
its own line into the postmaster's children's time. Take it before and after a window; the difference is that tree's
CPU in the window. ``machine_cpu_s()`` is the busy time of the whole machine (every core) from /proc/stat, so the
rest (other engineers' work on a shared machine) shows as ``machine - the trees``. Linux only; runs on the caller's
thread.
"""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                kids.setdefault(int(fields[1]), []).append(int(entry.name))
    return kids


def tree_pids(pid: int) -> list[int]:
    """``pid`` and its live descendants."""
    kids = _children()
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(kids.get(current, []))
    return found


def tree_cpu_s(pid: int) -> float:
    ticks = 0
    for member in tree_pids(pid):
        fields = _stat_fields(member)
        if fields is not None:  # fields[11:15]: utime, stime, cutime, cstime (proc(5) fields 14-17)
            ticks += sum(int(x) for x in fields[11:15])
    return ticks / _TICK


def machine_cpu_s() -> float:
    """Busy CPU seconds of the machine since boot, summed over every core."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / _TICK
