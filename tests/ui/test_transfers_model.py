"""The Transfers table model: batched updates touch only the rows that changed, in contiguous ranges."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

from app.engine.types import TorrentState
from app.ui.transfers.model import Column, TransfersModel, contiguous_ranges
from tests.ui.fakes import snapshot


def test_contiguous_ranges() -> None:
    assert contiguous_ranges([5, 1, 2, 3, 9, 2]) == [(1, 3), (5, 5), (9, 9)]
    assert contiguous_ranges([]) == []


def test_new_torrents_are_inserted_once_and_changes_emit_one_signal_per_range(qtbot) -> None:
    model = TransfersModel()
    inserts: list[tuple[int, int]] = []
    changes: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserts.append((first, last)))
    model.dataChanged.connect(lambda a, b, _roles: changes.append((a.row(), b.row())))
    model.apply_batch([snapshot(f"{i:040x}") for i in range(10)])
    assert inserts == [(0, 9)]
    assert model.rowCount() == 10

    updated = [snapshot(f"{i:040x}", progress=0.5) for i in (1, 2, 3, 7)]
    model.apply_batch(updated)
    assert changes == [(1, 3), (7, 7)]
    assert model.data(model.index(2, Column.PROGRESS)) == "50.0%"

    changes.clear()
    model.apply_batch(updated)  # identical snapshots: nothing to repaint
    assert changes == []


def test_display_texts_are_what_a_user_reads() -> None:
    model = TransfersModel()
    model.apply_batch(
        [
            snapshot(
                "a" * 40,
                "Big Buck",
                wanted_size=3 * 1024 * 1024,
                download_rate=2048,
                eta_seconds=125,
                num_seeds=2,
                num_peers=5,
                ratio=0.25,
            )
        ]
    )
    row = {Column(c): model.data(model.index(0, c)) for c in range(model.columnCount())}
    assert row[Column.NAME] == "Big Buck"
    assert row[Column.SIZE] == "3.0 MiB"
    assert row[Column.STATE] == "Downloading"
    assert row[Column.DOWN] == "2.0 KiB/s"
    assert row[Column.ETA] == "2m 05s"
    assert row[Column.PEERS] == "2 / 5"
    assert row[Column.RATIO] == "0.25"
    assert model.headerData(Column.PEERS, Qt.Orientation.Horizontal) == "Seeds / Peers"


def test_removed_torrent_leaves_the_others_addressable() -> None:
    model = TransfersModel()
    model.apply_batch([snapshot(c * 40) for c in "abc"])
    model.remove_torrent("b" * 40)
    assert model.torrent_ids() == ["a" * 40, "c" * 40]
    assert model.row_of("c" * 40) == 1
    model.apply_batch([snapshot("c" * 40, state=TorrentState.SEEDING)])
    assert model.data(model.index(1, Column.STATE)) == "Seeding"
    assert model.rowCount(QModelIndex()) == 2
