"""The creator pages in a real Qt window (Xvfb): the Publish page lists a folder's files with their media facts and
the faststart tip, refuses a bad price with a sentence, previews the store page, and publishes (encrypt + torrent,
no store) with progress to the end; the Dashboard page shows the store's figures, totals, what is owed, plots per
day, and writes the subscribers CSV it is given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from app.library.publishing import Publisher, scan_folder
from app.ui.creator.dashboard_page import DashboardPage
from app.ui.creator.publish_page import PublishPage
from app.ui.tasks import SynchronousTaskRunner
from tests.library.test_publishing import _mp4
from tests.support.creator import MemoryKeys, episodes


def test_the_publish_page_lists_facts_refuses_a_bad_price_and_publishes_with_progress(
    qtbot: QtBot, tmp_path: Path
) -> None:
    folder = episodes(tmp_path / "Lumen Drift", {"notes.txt": 300})
    _mp4(folder / "pilot.mp4", faststart=True)
    _mp4(folder / "episode1.mp4", faststart=False)
    page = PublishPage(SynchronousTaskRunner(), lambda: Publisher(tmp_path / "work", keys=MemoryKeys()), scan_folder)
    qtbot.addWidget(page)
    page.show()
    page.choose_folder(folder)
    rows = {page.files.item(r, 1).text(): r for r in range(page.files.rowCount())}  # type: ignore[union-attr]
    assert set(rows) == {"notes.txt", "pilot.mp4", "episode1.mp4"}
    slow = page.files.item(rows["episode1.mp4"], 5)
    assert slow is not None and slow.text().startswith("No") and "+faststart" in slow.toolTip()
    assert page.locked_paths() == {"pilot.mp4", "episode1.mp4"}  # media locked by default
    page.set_locked("pilot.mp4", False)  # the pilot is free to watch
    assert "1 locked, 2 free to watch" in page.preview.text() and "Buy 4.99" in page.preview.text()

    page.price.setText("-1")
    page.publish()
    assert page.error.text() == "The price must be between $0.01 and $10,000.00."
    page.price.setText("lots")
    page.publish()
    assert "is not a price" in page.error.text()

    page.price.setText("4.99")
    published: list[str] = []
    page.published.connect(published.append)
    page.publish()
    qtbot.waitUntil(lambda: page.progress.value() == 1000, timeout=30_000)
    assert page.error.text() == ""
    assert page.status.text().startswith("Published")
    assert published == [""]  # no store here: made and hashed, nothing listed


FIGURES: dict[str, Any] = {
    "fee_percent": 10,
    "bundles": [
        {"bundle_id": "b1", "title": "Night Shift", "downloads": 7, "completed": 3, "seeders": 2, "sales": 2,
         "refunds": 1, "pledges": 0, "gross_cents": 998, "payment_fees_cents": 60, "store_fee_cents": 100,
         "net_cents": 838, "campaign": None},
        {"bundle_id": "b2", "title": "Lumen Drift", "downloads": 1, "completed": 0, "seeders": 0, "sales": 0,
         "refunds": 0, "pledges": 2, "gross_cents": 0, "payment_fees_cents": 0, "store_fee_cents": 0,
         "net_cents": 0, "campaign": {"state": "open", "backers": 2, "pledged_cents": 3495}},
    ],
    "totals": {"downloads": 8, "completed": 3, "seeders": 2, "sales": 2, "refunds": 1, "pledges": 2,
               "gross_cents": 998, "payment_fees_cents": 60, "store_fee_cents": 100, "net_cents": 838},
    "payouts": {"owed_cents": 838, "paid_out_cents": 0, "entries": []},
    "series": {"downloads_per_day": [{"day": "2026-12-03", "count": 3}, {"day": "2026-12-04", "count": 5}],
               "revenue_per_day": [{"day": "2026-12-04", "gross_cents": 998}]},
}  # fmt: skip


def test_the_dashboard_shows_the_stores_figures_and_exports_subscribers(qtbot: QtBot, tmp_path: Path) -> None:
    page = DashboardPage(SynchronousTaskRunner(), lambda: FIGURES, lambda bundle_id: "email\na@x.org\nb@x.org\n")
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    cells = [[page.table.item(r, c).text() for c in range(page.table.columnCount())]  # type: ignore[union-attr]
             for r in range(page.table.rowCount())]  # fmt: skip
    assert cells[0][:2] == ["Night Shift", "7"] and cells[0][-1] == "$8.38"
    assert cells[-1][0] == "Total" and cells[-1][-4:] == ["$9.98", "$0.60", "$1.00", "$8.38"]
    assert "The store owes you $8.38" in page.owed.text() and "2 backers, $34.95 pledged" in page.owed.text()
    assert len(page.downloads_plot.getPlotItem().listDataItems()) == 1
    assert list(page.downloads_plot.getPlotItem().listDataItems()[0].yData) == [3, 5]
    target = tmp_path / "subscribers.csv"
    page.export_subscribers("b1", target)
    assert target.read_text() == "email\na@x.org\nb@x.org\n" and "Saved 2 subscribers" in page.message.text()
