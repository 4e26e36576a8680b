"""The proxy between the Transfers table and its model: the sidebar's choices and the name filter, combined.

A ``TransfersFilter`` says what the user picked — one status, a category ("" = uncategorized), a tag ("" =
untagged), a tracker host ("" = trackerless), ``None`` for "all" in each section — plus the name text. The proxy
turns it into one regular expression over the model's ``FILTER_ROLE`` string (lookaheads for the sidebar, the
name at the end), matched by Qt's ``QRegularExpression``: with nothing picked the pattern is empty and no row is
looked at. Dynamic filtering is on and the proxy never sorts (its sort column stays -1): the rows of a
``dataChanged`` are re-checked — Qt 6.11 re-checks every one, whatever roles it names — so ``filterAcceptsRow``
answers from a verdict kept per ``FILTER_ROLE`` string (a row's string changes only with its statuses, labels,
hosts or name), and the bridge hands out at most 1,000 rows a turn. ``sort`` is handed to the model, which sorts in
Python (see ``model``).

Main thread only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRegularExpression, QSortFilterProxyModel, Qt

from app.ui.transfers.model import FIELD_SEP, FILTER_ROLE, NAME_SEP, TransfersModel
from app.ui.transfers.statuses import Status

_VERDICTS_KEPT = 50_000  # cleared past this (old strings of rows whose statuses changed pile up otherwise)


@dataclass(frozen=True, slots=True)
class TransfersFilter:
    status: Status = Status.ALL
    category: str | None = None  # None = all, "" = uncategorized
    tag: str | None = None  # None = all, "" = untagged
    tracker: str | None = None  # None = all, "" = trackerless
    name: str = ""

    def with_(self, **changes: object) -> TransfersFilter:
        return replace(self, **changes)  # type: ignore[arg-type]


def filter_pattern(chosen: TransfersFilter) -> str:
    """The regular expression for ``chosen`` over ``FILTER_ROLE`` strings; "" when everything is shown."""
    parts: list[str] = []

    def token(prefix: str, value: str) -> None:
        escaped = QRegularExpression.escape(f"{FIELD_SEP}{prefix}:{value}{FIELD_SEP}")
        parts.append(f"(?=[^{NAME_SEP}]*{escaped})")  # in the tokens, before the name

    if chosen.status is not Status.ALL:
        token("s", chosen.status.value)
    if chosen.category is not None:
        token("c", chosen.category)
    if chosen.tag is not None:
        token("t", chosen.tag)
    if chosen.tracker is not None:
        token("h", chosen.tracker)
    if chosen.name.strip():
        parts.append(f"(?=.*{NAME_SEP}.*{QRegularExpression.escape(chosen.name.strip())})")
    return "^" + "".join(parts) if parts else ""


class TransfersProxy(QSortFilterProxyModel):
    """Filters rows by the sidebar and the name; sorting is the model's."""

    def __init__(self, model: TransfersModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.setSourceModel(model)
        self.setFilterRole(FILTER_ROLE)
        self.setFilterKeyColumn(0)
        self.setDynamicSortFilter(True)  # re-checks changed rows only; sorting stays off here (column -1)
        self._chosen = TransfersFilter()
        self._expression = QRegularExpression()
        # FILTER_ROLE string → shown? A row's string changes only when its statuses, labels, hosts or name do, so a
        # stats batch re-checks each row with two dictionary look-ups instead of a data() call and a regex match.
        self._verdicts: dict[str, bool] = {}

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        if not self._expression.pattern():
            return True
        key = self._model.filter_key(self._model.snapshot_at(source_row))
        verdict = self._verdicts.get(key)
        if verdict is None:
            if len(self._verdicts) > _VERDICTS_KEPT:
                self._verdicts.clear()
            verdict = self._verdicts[key] = self._expression.match(key).hasMatch()
        return verdict

    @property
    def chosen(self) -> TransfersFilter:
        return self._chosen

    def choose(self, chosen: TransfersFilter) -> None:
        """Show the rows ``chosen`` describes."""
        self._chosen = chosen
        self._expression = QRegularExpression(
            filter_pattern(chosen), QRegularExpression.PatternOption.CaseInsensitiveOption
        )
        self._verdicts.clear()
        self.setFilterRegularExpression(self._expression)  # the pattern the rows are checked against (above)

    def refresh(self) -> None:
        """Look at every row again (labels or tracker hosts changed under an active filter)."""
        self._verdicts.clear()
        if filter_pattern(self._chosen):
            self.beginFilterChange()
            self.endFilterChange()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._model.sort(column, order)
