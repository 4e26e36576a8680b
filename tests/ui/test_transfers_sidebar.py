"""The Transfers sidebar over a real engine: live status counts, categories, tags and trackers, combined with each
other and with the name filter, sorted at start by the column with the arrow, and remembered across runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import libtorrent as lt
import pytest
from PySide6.QtCore import QSettings, Qt

from app.engine import Engine
from app.ui.bridge import EngineBridge
from app.ui.tasks import ThreadPoolTaskRunner
from app.ui.transfers.model import Column
from app.ui.transfers.page import TransfersPage
from app.ui.transfers.sidebar import _Section
from tests.engine.helpers import write_payload
from tests.ui.conftest import start_engine

TRACKER = "http://127.0.0.1:9/announce"  # nobody listens: the torrent still lists it


def _torrent(content: Path, tracker: str | None) -> bytes:
    creator = lt.create_torrent(lt.list_files(str(content), lambda _p: True), 16384, flags=lt.create_torrent.v1_only)
    if tracker:
        creator.add_tracker(tracker)
    lt.set_piece_hashes(creator, str(content.parent))
    return bytes(lt.bencode(creator.generate()))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = start_engine(tmp_path / "state")
    yield engine
    engine.shutdown()


@pytest.fixture
def three(engine: Engine, tmp_path: Path) -> dict[str, str]:
    """Charlie (paused, missing data), Alpha (complete: seeding, on a tracker), Bravo (missing data: downloading)."""
    ids = {}
    for name, tracker in (("Charlie", None), ("Alpha", TRACKER), ("Bravo", None)):
        write_payload(tmp_path / "made" / name, {"f.bin": 50_000})
        data = _torrent(tmp_path / "made" / name, tracker)
        save = tmp_path / "made" if name == "Alpha" else tmp_path / "downloads"
        ids[name] = engine.add_torrent_bytes(data, save, paused=name == "Charlie")
    engine.labels.create_category("Films", tmp_path / "films")
    engine.labels.set_category(ids["Alpha"], "Films")
    engine.labels.add_tags(ids["Alpha"], ["hd"])
    engine.labels.add_tags(ids["Bravo"], ["hd"])
    return ids


def _page(qtbot, engine: Engine, state: QSettings) -> tuple[TransfersPage, EngineBridge]:
    bridge = EngineBridge(engine)
    page = TransfersPage(engine, ThreadPoolTaskRunner(), lambda: Path("/tmp/unused"), view_state=state)
    bridge.stats_updated.connect(page.apply_stats)
    bridge.torrent_removed.connect(page.remove_row)
    page.apply_stats(tuple(engine.snapshots()))
    qtbot.addWidget(page)
    page.show()
    return page, bridge


def _shown(page: TransfersPage) -> list[str]:
    return [str(page.proxy.index(row, Column.NAME).data()) for row in range(page.proxy.rowCount())]


def _pick(section: _Section, label_start: str) -> None:
    rows = [r for r in range(section.count()) if section.item(r).text().startswith(label_start)]
    assert rows, f"no entry {label_start!r} in {[section.item(r).text() for r in range(section.count())]}"
    section.setCurrentRow(rows[0])


def test_counts_are_live_and_filters_combine_with_each_other_and_the_name(
    qtbot, engine: Engine, three: dict[str, str], tmp_path: Path
) -> None:
    page, bridge = _page(qtbot, engine, QSettings(str(tmp_path / "view.ini"), QSettings.Format.IniFormat))
    statuses = page.sidebar.statuses

    def counts() -> dict[str, str]:
        return {v: statuses.text_of(v) for v in ("all", "downloading", "seeding", "completed", "paused", "stalled")}

    qtbot.waitUntil(
        lambda: counts()
        == {
            "all": "All (3)",
            "downloading": "Downloading (1)",
            "seeding": "Seeding (1)",
            "completed": "Completed (1)",
            "paused": "Paused (1)",
            "stalled": "Stalled (2)",  # Bravo gets nothing, Alpha uploads nothing
        },
        timeout=20_000,
    )
    # Sorted at start by the column showing the arrow (Name), though added Charlie, Alpha, Bravo.
    assert page.table.horizontalHeader().sortIndicatorSection() == Column.NAME
    qtbot.waitUntil(lambda: _shown(page) == ["Alpha", "Bravo", "Charlie"], timeout=5_000)
    qtbot.waitUntil(lambda: page.sidebar.categories.text_of("Films") == "Films (1)", timeout=5_000)
    assert page.sidebar.categories.text_of("") == "Uncategorized (2)"
    assert page.sidebar.tags.text_of("hd") == "hd (2)"
    qtbot.waitUntil(lambda: page.sidebar.trackers.text_of("127.0.0.1") == "127.0.0.1 (1)", timeout=10_000)
    assert page.sidebar.trackers.text_of("") == "Trackerless (2)"

    _pick(page.sidebar.tags, "hd")
    assert _shown(page) == ["Alpha", "Bravo"]
    _pick(statuses, "Downloading")
    assert _shown(page) == ["Bravo"]
    _pick(statuses, "All")
    page.filter_edit.setText("alp")
    assert _shown(page) == ["Alpha"]
    page.filter_edit.setText("")
    _pick(page.sidebar.trackers, "127.0.0.1")
    assert _shown(page) == ["Alpha"]
    _pick(page.sidebar.trackers, "All")
    _pick(page.sidebar.tags, "All")

    # Live: pausing Bravo moves it from Downloading to Paused in the counts and out of the Downloading list.
    _pick(statuses, "Downloading")
    engine.pause(three["Bravo"])
    qtbot.waitUntil(lambda: statuses.text_of("paused") == "Paused (2)", timeout=20_000)
    assert statuses.text_of("downloading") == "Downloading (0)"
    qtbot.waitUntil(lambda: _shown(page) == [], timeout=5_000)

    # A category made elsewhere (the remote API, say) shows up on the next batch.
    engine.labels.create_category("Music")
    qtbot.waitUntil(lambda: page.sidebar.categories.text_of("Music") == "Music (0)", timeout=10_000)
    bridge.close()


def test_the_sidebar_choice_the_name_filter_and_the_sort_are_remembered(
    qtbot, engine: Engine, three: dict[str, str], tmp_path: Path
) -> None:
    ini = str(tmp_path / "view.ini")
    page, bridge = _page(qtbot, engine, QSettings(ini, QSettings.Format.IniFormat))
    _pick(page.sidebar.categories, "Films")
    page.filter_edit.setText("a")
    page.table.sortByColumn(Column.NAME, Qt.SortOrder.DescendingOrder)
    assert _shown(page) == ["Alpha"]
    bridge.close()
    page.close()

    again, bridge = _page(qtbot, engine, QSettings(ini, QSettings.Format.IniFormat))
    assert again.sidebar.category() == "Films"
    assert again.filter_edit.text() == "a"
    assert again.table.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    qtbot.waitUntil(lambda: _shown(again) == ["Alpha"], timeout=5_000)
    page.filter_edit.setText("")
    again.filter_edit.setText("")
    _pick(again.sidebar.categories, "All")
    qtbot.waitUntil(lambda: _shown(again) == ["Charlie", "Bravo", "Alpha"], timeout=5_000)
    bridge.close()
