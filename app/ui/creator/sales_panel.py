"""The Dashboard's sales of one bundle (or of all): date, buyer as the store names them, amount and status, one row
a sale or charged pledge of the store's payout ledger — and *Refund…* on a paid one.

*Refund…* asks first in a window-modal box (``open()``, never ``exec()``); the store's refund runs on a worker
(``refund(charge_id)``, the creator API), and its answer comes back as a sentence: refunded (the license revoked at
the store), already refunded before (by another device or the store's operator: nothing more is taken back), or the
store's own sentence for what it refused. ``refunded`` then asks the Dashboard to load the store's figures again —
the panel never adjusts a number itself. Main thread only (the refund call runs on the runner's pool).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.store.errors import StoreError
from app.ui.creator.money import dollars
from app.ui.tasks import TaskRunner

HEADERS = ("Date", "Buyer", "Amount", "Status")
_SHOWN_STATUS = {("sale", "captured"): "Paid", ("pledge", "captured"): "Charged (pledge)"}


def _local_time(iso: str) -> str:
    return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")


def shown_status(entry: dict[str, Any], refunded_at: str | None) -> str:
    if entry["status"] == "refunded":
        return f"Refunded {_local_time(refunded_at)}" if refunded_at else "Refunded"
    return _SHOWN_STATUS.get((entry["kind"], entry["status"]), str(entry["status"]).capitalize())


class SalesPanel(QWidget):
    refunded = Signal(dict)  # the store's answer to a refund: the Dashboard loads its figures again

    def __init__(
        self, runner: TaskRunner, refund: Callable[[str], dict[str, Any]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._refund = refund
        self._entries: list[dict[str, Any]] = []
        self.heading = QLabel("Sales")
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._update_button)
        self.refund_button = QPushButton("Refund…")
        self.refund_button.setEnabled(False)
        self.refund_button.clicked.connect(self.ask_refund)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.question: QMessageBox | None = None  # the open confirmation, if any
        row = QHBoxLayout()
        row.addWidget(self.heading, 1)
        row.addWidget(self.refund_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.result)

    def show_sales(self, heading: str, ledger: list[dict[str, Any]]) -> None:
        """The sales and charged pledges among ``ledger`` (the store's payout entries), newest first."""
        refunds = {e["charge_id"]: e["at"] for e in ledger if e["kind"] == "refund"}
        self._entries = sorted((e for e in ledger if e["kind"] != "refund"), key=lambda e: e["at"], reverse=True)
        self.heading.setText(heading)
        self.table.setRowCount(len(self._entries))
        for row, entry in enumerate(self._entries):
            cells = (
                _local_time(entry["at"]),
                str(entry.get("buyer") or "—"),
                dollars(int(entry["gross_cents"])),
                shown_status(entry, refunds.get(entry["charge_id"])),
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.clearSelection()
        self._update_button()

    def select_sale(self, charge_id: str) -> None:
        row = next(i for i, e in enumerate(self._entries) if e["charge_id"] == charge_id)
        self.table.selectRow(row)

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        return self._entries[rows[0].row()] if rows else None

    def _update_button(self) -> None:
        entry = self.selected()
        self.refund_button.setEnabled(entry is not None and entry["status"] == "captured")

    def ask_refund(self) -> None:
        """Ask window-modally (``open()``); on *Refund* the store refunds on a worker."""
        entry = self.selected()
        if entry is None:
            return
        what = "sale" if entry["kind"] == "sale" else "charged pledge"
        question = QMessageBox(
            QMessageBox.Icon.Question, f"Refund this {what}?",
            f"Give {entry.get('buyer') or 'the buyer'} their {dollars(int(entry['gross_cents']))} back? "
            "Their license to this bundle is withdrawn at the store, and the sale leaves your figures.",
            QMessageBox.StandardButton.Cancel, self)  # fmt: skip
        yes = question.addButton("Refund", QMessageBox.ButtonRole.AcceptRole)
        question.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(_result: int) -> None:
            chosen = question.clickedButton() is yes
            question.deleteLater()
            self.question = None
            if chosen:
                self.refund_sale(entry)

        question.finished.connect(answered)
        self.question = question
        question.open()

    def refund_sale(self, entry: dict[str, Any]) -> None:
        self.refund_button.setEnabled(False)
        self.result.setText(f"Refunding {dollars(int(entry['gross_cents']))} to {entry.get('buyer') or 'the buyer'}…")
        charge_id = str(entry["charge_id"])
        self._runner.run(lambda: self._refund(charge_id), lambda answer: self._done(entry, answer), self._failed)

    def _done(self, entry: dict[str, Any], answer: dict[str, Any]) -> None:
        who = entry.get("buyer") or "the buyer"
        if answer.get("status") == "cancelled":
            self.result.setText(str(answer.get("message") or "The pledge is cancelled; nothing was charged."))
        elif answer.get("refunded_now", True):
            self.result.setText(
                f"Refunded {dollars(int(answer['amount_cents']))} to {who}. Their license is withdrawn at the store."
            )
        else:
            when = _local_time(answer["refunded_at"]) if answer.get("refunded_at") else "earlier"
            what = "sale to" if entry["kind"] == "sale" else "pledge of"
            self.result.setText(f"This {what} {who} had already been refunded ({when}); nothing more was taken back.")
        self.refunded.emit(answer)

    def _failed(self, exc: BaseException) -> None:
        reason = exc.user_message if isinstance(exc, StoreError) else "the store could not be asked."
        self.result.setText(f"The refund did not go through: {reason}")
        self._update_button()
