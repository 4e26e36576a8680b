"""The RSS rules editor (Settings → "RSS rules…"): one row per rule — name, feed address, words it must contain,
words it must not contain (comma-separated), category, and the episode filter (each episode once).

Rules are read and written with ``app.automation.rss.load_rules`` / ``save_rules`` (``rss-rules.json`` in the
config folder); *Save* writes them on the task runner and tells a refusal in the dialog. Window-modal, ``open()``.
Main thread; the file write on the task runner's pool.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.automation.rss import FeedRule, load_rules, save_rules
from app.ui.tasks import TaskRunner

HEADERS = ("Name", "Feed address", "Must contain", "Must not contain", "Category", "Each episode once")


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split(",") if word.strip())


class RssRulesDialog(QDialog):
    saved = Signal()

    def __init__(self, config_dir: Path, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("RSS rules")
        self.resize(900, 360)
        self._config_dir = config_dir
        self._tasks = tasks
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.horizontalHeader().setStretchLastSection(True)
        add = QPushButton("Add rule", self)
        add.clicked.connect(lambda: self.add_rule(FeedRule("", "")))
        remove = QPushButton("Remove rule", self)
        remove.clicked.connect(lambda: self.table.removeRow(self.table.currentRow()))
        self.status = QLabel("", self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        for rule in load_rules(config_dir):
            self.add_rule(rule)

    def add_rule(self, rule: FeedRule) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        texts = (rule.name, rule.feed_url, ", ".join(rule.must_contain), ", ".join(rule.must_not_contain),
                 rule.category)
        for column, text in enumerate(texts):
            self.table.setItem(row, column, QTableWidgetItem(text))
        check = QTableWidgetItem()
        check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        check.setCheckState(Qt.CheckState.Checked if rule.episode_filter else Qt.CheckState.Unchecked)
        self.table.setItem(row, len(texts), check)

    def rules(self) -> list[FeedRule]:
        found = []
        for row in range(self.table.rowCount()):
            cells = [self.table.item(row, column) for column in range(len(HEADERS))]
            texts = [cell.text().strip() if cell is not None else "" for cell in cells]
            if not texts[1]:
                continue
            episode = cells[-1] is not None and cells[-1].checkState() == Qt.CheckState.Checked
            found.append(FeedRule(texts[0] or texts[1], texts[1], _words(texts[2]), _words(texts[3]), texts[4],
                                  episode))
        return found

    def save(self) -> None:
        rules = self.rules()
        bad = [rule.feed_url for rule in rules if not rule.feed_url.startswith(("http://", "https://"))]
        if bad:
            self.status.setText(f"A feed address must start with http:// or https:// ({bad[0]}).")
            return
        self._tasks.run(lambda: save_rules(self._config_dir, rules), self._on_saved,
                        lambda exc: self.status.setText(f"The rules were not saved: {exc}"))

    def _on_saved(self, _result: object) -> None:
        self.saved.emit()
        self.accept()
