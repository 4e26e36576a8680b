"""The paygate inside the player: the bundle's offer (*Buy* or *Pledge*) shown in place of the video.

Shown when the free pilot ends, and instead of a locked file that has no license. The button asks the host
to open the purchase or pledge flow with ``offer_requested(bundle_id)``. Main thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from app.player.items import Offer


class OfferPanel(QWidget):
    """A headline, a reason and one button."""

    offer_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._offer: Offer | None = None
        self.headline = QLabel()
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.headline.setStyleSheet("font-size: 20px; font-weight: bold; color: white;")
        self.headline.setWordWrap(True)
        self.reason = QLabel()
        self.reason.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.reason.setStyleSheet("color: #cccccc;")
        self.reason.setWordWrap(True)
        self.button = QPushButton()
        self.button.setMinimumHeight(36)
        self.button.clicked.connect(self._on_clicked)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.headline)
        layout.addWidget(self.reason)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        self.setStyleSheet("background: #111111;")

    def show_offer(self, offer: Offer | None, reason: str) -> None:
        """Show ``offer`` with ``reason``; without an offer only the reason is shown."""
        self._offer = offer
        self.headline.setText(offer.headline if offer else "This file is locked")
        self.reason.setText(reason)
        self.button.setVisible(offer is not None)
        if offer is not None:
            self.button.setText(offer.label)

    def _on_clicked(self) -> None:
        if self._offer is not None:
            self.offer_requested.emit(self._offer.bundle_id)
