"""Where the suite's time goes, by test file and folder: every run ends with the files that took longest (set-up,
call and tear-down together), so a suite that outgrows its time budget says which files to look at first."""

from __future__ import annotations

from collections import defaultdict

import pytest

SHOWN = 20
_seconds_by_file: defaultdict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _seconds_by_file[report.nodeid.split("::", 1)[0]] += report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _seconds_by_file:
        return
    total = sum(_seconds_by_file.values())
    terminalreporter.section(f"slowest {SHOWN} test files (of {total:.0f} s in tests)")
    slowest = sorted(_seconds_by_file.items(), key=lambda item: item[1], reverse=True)[:SHOWN]
    for path, seconds in slowest:
        terminalreporter.write_line(f"{seconds:7.1f} s {100 * seconds / total:5.1f} %  {path}")
    by_folder: defaultdict[str, float] = defaultdict(float)
    for path, seconds in _seconds_by_file.items():
        by_folder[path.rsplit("/", 1)[0]] += seconds
    terminalreporter.write_line("by folder: " + ", ".join(
        f"{folder} {seconds:.0f} s" for folder, seconds in sorted(by_folder.items(), key=lambda i: i[1], reverse=True)
    ))
