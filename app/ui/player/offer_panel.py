"""What the player shows where the picture was when a file ends or is locked: the bundle's offer (*Buy* or
*Pledge*, with a campaign's progress), *Watch again*, and *Up next* when another file follows.

Shown when the free pilot ends, instead of a locked file that has no license, and at the end of any video. The
buttons ask the page with ``offer_requested(bundle_id)``, ``watch_again_requested`` and ``next_requested``.
Colours are set on every child explicitly: a dark panel's style sheet would otherwise paint the buttons dark
with the palette's dark text on them (the *Pledge* button used to be black on black). Main thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from app.player.items import Offer

PANEL_BACKGROUND = "#111111"
_STYLE = f"""
QWidget#offerPanel {{ background: {PANEL_BACKGROUND}; }}
QLabel {{ color: #e8e8e8; background: transparent; }}
QLabel#headline {{ color: #ffffff; font-size: 20px; font-weight: bold; }}
QPushButton {{ color: #ffffff; background: #3a3a3a; border: 1px solid #6a6a6a; border-radius: 4px;
               padding: 6px 16px; font-size: 14px; }}
QPushButton:hover {{ background: #4a4a4a; }}
QPushButton#offerButton {{ color: #111111; background: #f5a623; border: none; font-weight: bold; }}
QPushButton#offerButton:hover {{ background: #ffb84d; }}
QProgressBar {{ background: #333333; border: none; border-radius: 3px; max-height: 8px; }}
QProgressBar::chunk {{ background: #f5a623; border-radius: 3px; }}
"""


class OfferPanel(QWidget):
    """A headline, a reason, a campaign's progress, and the offer / *Watch again* / *Up next* buttons."""

    offer_requested = Signal(str)
    watch_again_requested = Signal()
    next_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("offerPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._offer: Offer | None = None
        self.headline = QLabel()
        self.headline.setObjectName("headline")
        self.reason = QLabel()
        self.progress_label = QLabel()
        for label in (self.headline, self.reason, self.progress_label):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumWidth(420)
        self.button = QPushButton()
        self.button.setObjectName("offerButton")
        self.button.setMinimumHeight(36)
        self.button.clicked.connect(self._on_clicked)
        self.again_button = QPushButton("↺ Watch again")
        self.again_button.clicked.connect(self.watch_again_requested)
        self.next_button = QPushButton()
        self.next_button.clicked.connect(self.next_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.button, self.again_button, self.next_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.headline)
        layout.addWidget(self.reason)
        layout.addWidget(self.progress_bar, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.progress_label)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.setStyleSheet(_STYLE)

    def show_offer(self, offer: Offer | None, reason: str, *, can_watch_again: bool = False) -> None:
        """Show ``offer`` with ``reason``; without an offer only the reason is shown."""
        self._offer = offer
        self.headline.setText(offer.headline if offer else "This file is locked")
        self.reason.setText(reason)
        self.button.setVisible(offer is not None)
        if offer is not None:
            self.button.setText(offer.label)
        has_progress = offer is not None and bool(offer.progress_text)
        self.progress_label.setVisible(has_progress)
        self.progress_bar.setVisible(has_progress and offer is not None and offer.progress is not None)
        if offer is not None and has_progress:
            self.progress_label.setText(offer.progress_text)
            self.progress_bar.setValue(round(min(max(offer.progress or 0.0, 0.0), 1.0) * 1000))
        self.again_button.setVisible(can_watch_again)
        self.next_button.hide()

    def show_end(self, title: str, next_title: str | None) -> None:
        """The end of a file: *Watch again*, and *Up next* when another file follows."""
        self._offer = None
        self.headline.setText(title)
        self.reason.setText("Finished.")
        for widget in (self.button, self.progress_label, self.progress_bar):
            widget.hide()
        self.again_button.show()
        self.next_button.setVisible(next_title is not None)
        if next_title is not None:
            self.next_button.setText(f"Up next: {next_title} ▶")

    def _on_clicked(self) -> None:
        if self._offer is not None:
            self.offer_requested.emit(self._offer.bundle_id)
