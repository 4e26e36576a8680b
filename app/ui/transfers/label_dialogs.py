"""Small window-modal dialogs of the Transfers page: a new category (name and its own save path), new tags, and a
torrent's rate limits. Each is shown with ``open()`` (never a blocking ``exec()``) and reports through a signal.

Main thread only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)


class CategoryDialog(QDialog):
    """Name a category and (optionally) the folder its torrents are saved to."""

    chosen = Signal(str, str)  # name, save path ("" = the default download folder)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New category")
        self.name_edit = QLineEdit(self)
        self.path_edit = QLineEdit(self)
        self.path_edit.setPlaceholderText("The default download folder")
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Name:", self.name_edit)
        form.addRow("Save files in:", row)
        form.addRow(buttons)
        self.accepted.connect(lambda: self.chosen.emit(self.name_edit.text(), self.path_edit.text().strip()))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save files of this category in", self.path_edit.text())
        if folder:
            self.path_edit.setText(folder)


class TagsDialog(QDialog):
    """One or more new tags, separated by commas."""

    chosen = Signal(list)  # list[str]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add tags")
        self.tags_edit = QLineEdit(self)
        self.tags_edit.setPlaceholderText("hd, to watch, music")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Tags:", self.tags_edit)
        form.addRow(buttons)
        self.accepted.connect(
            lambda: self.chosen.emit([tag.strip() for tag in self.tags_edit.text().split(",") if tag.strip()])
        )


class LimitsDialog(QDialog):
    """A torrent's own download and upload limits in KiB/s (0 = unlimited)."""

    chosen = Signal(int, int)  # bytes/s: download, upload

    def __init__(self, download: int, upload: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rate limits")
        self.download_spin = _kib_spin(download, self)
        self.upload_spin = _kib_spin(upload, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Download limit:", self.download_spin)
        form.addRow("Upload limit:", self.upload_spin)
        form.addRow(buttons)
        self.accepted.connect(
            lambda: self.chosen.emit(self.download_spin.value() * 1024, self.upload_spin.value() * 1024)
        )


def _kib_spin(value_bytes: int, parent: QWidget) -> QSpinBox:
    spin = QSpinBox(parent)
    spin.setRange(0, 10_000_000)
    spin.setSuffix(" KiB/s")
    spin.setSpecialValueText("Unlimited")
    spin.setValue(value_bytes // 1024)
    return spin


def save_path_or_none(text: str) -> Path | None:
    return Path(text).expanduser() if text.strip() else None
