"""The live player's page: the broadcast's picture with a red **LIVE** badge, how far it is behind the source
("2.1 s behind"), the share of its bytes that came from other viewers, "Not sharing (metered connection)" while the
fan passes nothing on, and — for a paid broadcast without a ticket — the ticket offer where the picture would be (the
app still relays the stream for others).

Built in code, no logic of its own: ``LiveWatchHost`` calls ``show_title``, ``show_figures`` (once a second),
``show_offer``, ``show_waiting`` and ``show_ended``; the offer's button emits ``offer_requested(bundle_id)`` and
*Stop watching* emits ``stop_requested``. VLC draws into ``video`` by its native window id. Main thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from app.player.items import Offer
from app.ui.player.offer_panel import OfferPanel

_VIDEO, _OFFER = 0, 1
STALL_SHOWN_S = 1.5  # a wait longer than this is said ("Waiting for the broadcast…"), a shorter one is a hiccup
WAITING_TEXT = "Waiting for the broadcast…"
NOT_SHARING_TEXT = "Not sharing (metered connection)"
_BADGE_STYLE = "QLabel { color: white; background: #d0021b; font-weight: bold; padding: 2px 8px; border-radius: 3px; }"
_BADGE_IDLE_STYLE = "QLabel { color: #dddddd; background: #555555; font-weight: bold; padding: 2px 8px; " \
    "border-radius: 3px; }"


def delay_text(delay_s: float | None) -> str:
    """"2.1 s behind" (or "Starting…" before the first picture)."""
    return "Starting…" if delay_s is None else f"{delay_s:.1f} s behind"


def peer_share_text(share: float, relayed: int) -> str:
    """"87 % from other viewers" once bytes arrived."""
    return "" if relayed == 0 else f"{round(share * 100)} % from other viewers"


class LiveView(QWidget):
    offer_requested = Signal(str)  # bundle id
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.video = QFrame()
        self.video.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)  # VLC draws into its window id
        self.video.setStyleSheet("background: black;")
        self.offer_panel = OfferPanel()
        self.offer_panel.offer_requested.connect(self.offer_requested)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.video)
        self.stack.addWidget(self.offer_panel)
        self.title_label = QLabel("Nothing live — press Watch on a live broadcast in the Store.")
        self.live_badge = QLabel("LIVE")
        self.live_badge.setStyleSheet(_BADGE_IDLE_STYLE)
        self.live_badge.hide()
        self.delay_label = QLabel()
        self.peers_label = QLabel()
        self.sharing_label = QLabel()
        self.stop_button = QPushButton("Stop watching")
        self.stop_button.clicked.connect(self.stop_requested)
        self.stop_button.hide()
        line = QHBoxLayout()
        for widget in (self.live_badge, self.delay_label, self.peers_label, self.sharing_label):
            line.addWidget(widget)
        line.addStretch(1)
        line.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.stack, 1)
        layout.addLayout(line)

    @property
    def showing_offer(self) -> bool:
        return self.stack.currentIndex() == _OFFER

    def show_title(self, title: str) -> None:
        self.title_label.setText(title)
        self.stop_button.show()

    def show_waiting(self) -> None:
        """Joined, nothing played yet."""
        self.stack.setCurrentIndex(_VIDEO)
        self.live_badge.show()
        self.live_badge.setStyleSheet(_BADGE_IDLE_STYLE)
        self.delay_label.setText("Starting…")
        self.peers_label.clear()

    def show_figures(
        self,
        *,
        playing: bool,
        delay_s: float | None,
        peer_share: float,
        relayed: int,
        stalled_s: float = 0.0,
        sharing: bool = True,
    ) -> None:
        """The once-a-second line: LIVE (red while pictures flow), the delay, the peers' share, and "Not sharing
        (metered connection)" while this fan passes nothing on."""
        flowing = playing and stalled_s <= STALL_SHOWN_S
        self.live_badge.show()
        self.live_badge.setStyleSheet(_BADGE_STYLE if flowing else _BADGE_IDLE_STYLE)
        if not self.showing_offer:
            waiting = playing and not flowing
            self.delay_label.setText(WAITING_TEXT if waiting else delay_text(delay_s if playing else None))
        self.peers_label.setText(peer_share_text(peer_share, relayed))
        self.sharing_label.setText("" if sharing else NOT_SHARING_TEXT)

    def show_offer(self, offer: Offer | None, reason: str) -> None:
        """A paid broadcast this fan has no ticket for: the offer instead of the picture."""
        self.offer_panel.show_offer(offer, reason)
        self.stack.setCurrentIndex(_OFFER)
        self.live_badge.show()
        self.live_badge.setStyleSheet(_BADGE_IDLE_STYLE)
        self.delay_label.clear()

    def show_ended(self, sentence: str) -> None:
        """Stopped watching (or could not start): say why, hide the live line."""
        self.stack.setCurrentIndex(_VIDEO)
        self.live_badge.hide()
        self.delay_label.setText(sentence)
        self.peers_label.clear()
        self.sharing_label.clear()
        self.stop_button.hide()
