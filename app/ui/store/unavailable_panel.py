"""What the Store tab shows in place of the catalog while the store cannot be reached or did not start.

One sentence that says why and what to do (a store error's ``user_message``: the built-in store's folder is a
dangling link, a folder it may not write to, a full disk, a store that cannot be reached) and a *Try again* button.
The panel only reports and asks: ``try_again_requested`` goes to whoever connects the store. Main thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


class StoreUnavailablePanel(QWidget):
    try_again_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel("The store isn't available right now")
        self.heading.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.sentence = QLabel()
        self.sentence.setWordWrap(True)
        self.sentence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sentence.setMaximumWidth(560)
        self.try_again_button = QPushButton("Try again")
        self.try_again_button.clicked.connect(self._on_try_again)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for widget in (self.heading, self.sentence, self.try_again_button):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def show_failure(self, sentence: str) -> None:
        self.sentence.setText(sentence)
        self.try_again_button.setEnabled(True)
        self.try_again_button.setText("Try again")

    def _on_try_again(self) -> None:
        # One attempt at a time: the button comes back with the next failure (or the panel goes with success).
        self.try_again_button.setEnabled(False)
        self.try_again_button.setText("Trying again…")
        self.try_again_requested.emit()
