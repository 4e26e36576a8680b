"""What the Store tab shows in place of the catalog while the store cannot be reached or did not start.

One sentence that says why and what to do (a store error's ``user_message``: the built-in store's folder is a
dangling link, a folder it may not write to, a full disk, a store that cannot be reached) and a *Try again* button.
The panel only reports and asks: ``try_again_requested`` goes to whoever connects the store. Main thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class StoreUnavailablePanel(QWidget):
    try_again_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel("The store isn't available right now")
        self.heading.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.heading.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.sentence = QLabel()
        self.sentence.setWordWrap(True)
        self.sentence.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.sentence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.try_again_button = QPushButton("Try again")
        self.try_again_button.clicked.connect(self._on_try_again)
        # A column at most 560 px wide, centred: a wrapped label given an alignment flag shrinks to one word's width.
        column = QWidget(self)
        column.setMaximumWidth(560)
        column_layout = QVBoxLayout(column)
        column_layout.addStretch(1)
        column_layout.addWidget(self.heading)
        column_layout.addWidget(self.sentence)
        column_layout.addWidget(self.try_again_button, 0, Qt.AlignmentFlag.AlignHCenter)
        column_layout.addStretch(2)
        layout = QHBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(column, 4)
        layout.addStretch(1)

    def show_failure(self, sentence: str) -> None:
        self.sentence.setText(sentence)
        self.try_again_button.setEnabled(True)
        self.try_again_button.setText("Try again")

    def _on_try_again(self) -> None:
        # One attempt at a time: the button comes back with the next failure (or the panel goes with success).
        self.try_again_button.setEnabled(False)
        self.try_again_button.setText("Trying again…")
        self.try_again_requested.emit()
