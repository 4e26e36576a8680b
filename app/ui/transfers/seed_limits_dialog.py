"""A torrent's (so a bundle's) own seeding limits, as qBittorrent users know them: for the share ratio and for the
seeding time, "use the global limit" (Settings), "no limit", or a value of its own; at the limit the torrent is
paused. ``SeedLimitsDialog`` is shown window-modal with ``open()`` and reports through ``chosen``;
``describe_seed_limits`` is the sentence the Transfers details and the Library's bundle view show.

Main thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from app.engine.seed_limits import MAX_RATIO, MAX_SEEDING_MINUTES, LimitChoice, SeedLimits

_CHOICES = (
    (LimitChoice.GLOBAL, "Use the global limit"),
    (LimitChoice.NONE, "No limit"),
    (LimitChoice.OWN, "Stop at"),
)


def _choice_text(choice: LimitChoice, own: str) -> str:
    if choice is LimitChoice.GLOBAL:
        return "as in Settings"
    return "no limit" if choice is LimitChoice.NONE else own


def describe_seed_limits(limits: SeedLimits) -> str:
    """One line for people: "Seeding stops at share ratio 1.50; seeding time: as in Settings." and the like."""
    ratio = _choice_text(limits.ratio_choice, f"{limits.ratio:.2f}")
    minutes = _choice_text(limits.time_choice, f"{limits.minutes} minutes")
    return f"Share ratio limit: {ratio}. Seeding time limit: {minutes}. At its limit the torrent is paused."


class _LimitRow(QWidget):
    """A choice (global / none / own) and the value box that counts only for "own"."""

    def __init__(self, value_box: QSpinBox | QDoubleSpinBox, choice: LimitChoice, parent: QWidget) -> None:
        super().__init__(parent)
        self.choice_box = QComboBox(self)
        for value, text in _CHOICES:
            self.choice_box.addItem(text, value)
        self.value_box = value_box
        value_box.setParent(self)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.choice_box, 1)
        row.addWidget(value_box)
        self.choice_box.currentIndexChanged.connect(self._sync)
        self.choice_box.setCurrentIndex(self.choice_box.findData(choice))
        self._sync()

    def choice(self) -> LimitChoice:
        data = self.choice_box.currentData()
        return data if isinstance(data, LimitChoice) else LimitChoice.GLOBAL

    def _sync(self) -> None:
        self.value_box.setEnabled(self.choice() is LimitChoice.OWN)


class SeedLimitsDialog(QDialog):
    """Choose the share-ratio and seeding-time limits of the selected torrents."""

    chosen = Signal(object)  # SeedLimits

    def __init__(self, current: SeedLimits, count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Seeding limits")
        ratio_box = QDoubleSpinBox()
        ratio_box.setRange(0.0, MAX_RATIO)
        ratio_box.setDecimals(2)
        ratio_box.setSingleStep(0.1)
        ratio_box.setValue(current.ratio if current.ratio_choice is LimitChoice.OWN else 1.0)
        minutes_box = QSpinBox()
        minutes_box.setRange(0, MAX_SEEDING_MINUTES)
        minutes_box.setSuffix(" min")
        minutes_box.setValue(current.minutes if current.time_choice is LimitChoice.OWN else 1440)
        self.ratio_row = _LimitRow(ratio_box, current.ratio_choice, self)
        self.time_row = _LimitRow(minutes_box, current.time_choice, self)
        self.ratio_box, self.minutes_box = ratio_box, minutes_box
        note = QLabel(
            "When a torrent reaches either limit it is paused and stops seeding."
            + (f" This applies to the {count} selected torrents." if count > 1 else ""),
            self,
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Share ratio:", self.ratio_row)
        form.addRow("Seeding time:", self.time_row)
        form.addRow(note)
        form.addRow(buttons)
        self.accepted.connect(lambda: self.chosen.emit(self.limits()))

    def limits(self) -> SeedLimits:
        """What the dialog shows now."""
        return SeedLimits(
            self.ratio_row.choice(), self.ratio_box.value(), self.time_row.choice(), self.minutes_box.value()
        ).checked()
