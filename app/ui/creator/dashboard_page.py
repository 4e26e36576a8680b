"""The creator's Dashboard: the store's figures for each bundle and in total (downloads, completed, seeders now,
sales, refunds, pledges, gross, payment fees, the store's fee, net), what the store owes, campaign progress, plots
of downloads and revenue per day (pyqtgraph), the e-mail gate's consenting subscribers exported as CSV, and the
selected bundle's sales with *Refund…* (``SalesPanel``; after a refund the figures are loaded from the store again).

Every number is the store's, fetched through the creator API on a worker (``load``), never computed from what this
app saw. The CSV is fetched on a worker and written where the creator chose (window-modal ``QFileDialog.open()``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyqtgraph as pg  # type: ignore[import-untyped]
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.creator.money import dollars
from app.ui.creator.sales_panel import SalesPanel
from app.ui.tasks import TaskRunner

COLUMNS: list[tuple[str, str, Callable[[Any], object]]] = [
    ("Bundle", "title", str),
    ("Downloads", "downloads", int),
    ("Completed", "completed", int),
    ("Seeders now", "seeders", int),
    ("Sales", "sales", int),
    ("Refunds", "refunds", int),
    ("Pledges", "pledges", int),
    ("Gross", "gross_cents", dollars),
    ("Payment fees", "payment_fees_cents", dollars),
    ("Store fee", "store_fee_cents", dollars),
    ("Net", "net_cents", dollars),
]


def _no_refunds(_charge_id: str) -> dict[str, Any]:
    raise RuntimeError("this Dashboard was built without the store's refund")


def _day_axis(days: list[str]) -> list[float]:
    return [dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp() for day in days]


class DashboardPage(QWidget):
    def __init__(
        self,
        runner: TaskRunner,
        load: Callable[[], dict[str, Any]],
        load_subscribers_csv: Callable[[str], str],
        parent: QWidget | None = None,
        *,
        go_live: Callable[[QWidget], None] | None = None,  # opens the Go live dialog over this page
        refund: Callable[[str], dict[str, Any]] | None = None,  # the store's refund of a ledger entry (a worker)
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._load = load
        self._load_csv = load_subscribers_csv
        self._figures: dict[str, Any] = {}
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([c[0] for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.itemSelectionChanged.connect(self._show_sales)
        self.sales = SalesPanel(runner, refund or _no_refunds)
        self.sales.refunded.connect(lambda _answer: self.refresh())
        self.owed = QLabel()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.downloads_plot = pg.PlotWidget(title="Downloads per day", axisItems={"bottom": pg.DateAxisItem()})
        self.revenue_plot = pg.PlotWidget(title="Revenue per day (USD)", axisItems={"bottom": pg.DateAxisItem()})
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button = QPushButton("Export subscribers (CSV)…")
        self.export_button.clicked.connect(self._pick_csv_target)
        plots = QHBoxLayout()
        plots.addWidget(self.downloads_plot)
        plots.addWidget(self.revenue_plot)
        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.export_button)
        self.go_live_button: QPushButton | None = None
        if go_live is not None:
            self.go_live_button = QPushButton("Go live…")
            self.go_live_button.clicked.connect(lambda: go_live(self))
            buttons.addWidget(self.go_live_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.sales, 1)
        layout.addWidget(self.owed)
        layout.addLayout(plots, 1)
        layout.addWidget(self.message)

    def refresh(self) -> None:
        self.message.setText("Loading your figures…")
        self._runner.run(self._load, self.show_figures, self._show_error)

    def show_figures(self, figures: dict[str, Any]) -> None:
        shown_bundle = self._bundle_at(self.table.currentRow())
        self._figures = figures
        self.message.clear()
        rows = [*figures["bundles"], {"title": "Total", **figures["totals"]}]
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for row, line in enumerate(rows):
            for column, (_, key, shown) in enumerate(COLUMNS):
                item = QTableWidgetItem(str(shown(line[key])))
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.blockSignals(False)
        ids = [b["bundle_id"] for b in figures["bundles"]]
        self.table.selectRow(ids.index(shown_bundle) if shown_bundle in ids else 0)
        self._show_sales()
        payouts = figures["payouts"]
        campaigns = [
            f"{b['title']}: {b['campaign']['backers']} backers, {dollars(b['campaign']['pledged_cents'])} pledged "
            f"({b['campaign']['state']})"
            for b in figures["bundles"]
            if b.get("campaign")
        ]
        self.owed.setText(
            f"The store owes you {dollars(payouts['owed_cents'] - payouts['paid_out_cents'])} "
            f"(store fee {figures['fee_percent']} % of gross)." + ("\n" + "\n".join(campaigns) if campaigns else "")
        )
        downloads = figures["series"]["downloads_per_day"]
        revenue = figures["series"]["revenue_per_day"]
        self.downloads_plot.clear()
        self.revenue_plot.clear()
        if downloads:
            self.downloads_plot.plot(
                _day_axis([d["day"] for d in downloads]), [d["count"] for d in downloads], symbol="o"
            )
        if revenue:
            self.revenue_plot.plot(
                _day_axis([d["day"] for d in revenue]), [d["gross_cents"] / 100 for d in revenue], symbol="o"
            )

    def _bundle_at(self, row: int) -> str | None:
        """The bundle id of a row of the figures table (None: the Total row, or nothing shown yet)."""
        bundles = self._figures.get("bundles", [])
        return str(bundles[row]["bundle_id"]) if 0 <= row < len(bundles) else None

    def _show_sales(self) -> None:
        if not self._figures:
            return
        bundle_id = self._bundle_at(self.table.currentRow())
        entries = self._figures["payouts"]["entries"]
        if bundle_id is None:
            self.sales.show_sales("Sales of all your bundles", entries)
            return
        title = next(b["title"] for b in self._figures["bundles"] if b["bundle_id"] == bundle_id)
        self.sales.show_sales(f"Sales of {title}", [e for e in entries if e["bundle_id"] == bundle_id])

    def _pick_csv_target(self) -> None:
        email_bundles = [b["bundle_id"] for b in self._figures.get("bundles", [])]
        if not email_bundles:
            self.message.setText("Load your figures first; then choose where to save the subscribers.")
            return
        dialog = QFileDialog(self, "Save subscribers as CSV", filter="CSV files (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.fileSelected.connect(lambda path: self.export_subscribers(self._selected_bundle(), Path(path)))
        dialog.open()

    def _selected_bundle(self) -> str:
        row = max(self.table.currentRow(), 0)
        bundles = self._figures["bundles"]
        return str(bundles[min(row, len(bundles) - 1)]["bundle_id"])

    def export_subscribers(self, bundle_id: str, target: Path) -> None:
        def work() -> int:
            text = self._load_csv(bundle_id)
            target.write_text(text, encoding="utf-8")
            return max(0, len(text.splitlines()) - 1)

        self._runner.run(work, lambda n: self.message.setText(f"Saved {n} subscribers to {target.name}."),
                         self._show_error)  # fmt: skip

    def _show_error(self, exc: BaseException) -> None:
        self.message.setText(f"Could not load your figures: {exc}")
