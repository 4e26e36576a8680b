"""The fan's new-release bar in a real Qt window: quiet while nothing is new; "Episode 3 of Lumen Drift is out"
when the check finds a release, auto-downloading it for an owner who chose so; a failed check stays quiet."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.library.release_notices import ReleaseNotice
from app.ui.release_notices import ReleaseNoticeBar
from app.ui.tasks import SynchronousTaskRunner

EP3 = ReleaseNotice("lumen-drift", "Lumen Drift", "ep3", "Episode 3")


def test_the_bar_tells_of_a_new_release_once_and_starts_its_download(qtbot: QtBot) -> None:
    found: list[list[ReleaseNotice]] = [[], [EP3], []]
    downloaded: list[ReleaseNotice] = []
    bar = ReleaseNoticeBar(SynchronousTaskRunner(), lambda: found.pop(0), downloaded.append)
    qtbot.addWidget(bar)
    bar.check_now()
    assert bar.isHidden()
    with qtbot.waitSignal(bar.released, timeout=5000) as told:
        bar.check_now()
    assert told.args == [EP3]
    assert bar.isVisible() and bar.text.text() == "Episode 3 of Lumen Drift is out — downloading"
    assert downloaded == [EP3]
    bar.check_now()  # nothing new: the bar keeps what it said, nothing is downloaded twice
    assert downloaded == [EP3]


def test_a_failed_check_stays_quiet(qtbot: QtBot) -> None:
    def offline() -> list[ReleaseNotice]:
        raise OSError("no network")

    bar = ReleaseNoticeBar(SynchronousTaskRunner(), offline)
    qtbot.addWidget(bar)
    bar.check_now()
    assert bar.isHidden() and bar.timer.isActive() and bar.timer.interval() == 3 * 3600 * 1000
