"""One bundle's page: cover, description, files (sizes, lock icons), gate and price, swarm health, a campaign's
progress, and the actions its gate allows (*Get*, *Give e-mail*, *Buy*, *Pledge*, *Watch pilot*, *Play*,
*Download*). It only shows and asks: every action is a signal with the bundle id.

Main thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.store.models import BundleDetail, Campaign, GateType
from app.ui.icons import lock_icon
from app.ui.store.catalog_page import gate_label
from app.ui.units import format_price, format_size

LOCKED_TEXT, YOURS_TEXT, FREE_TEXT = "Locked", "Unlocked: yours", "Free"


def has_free_video(detail: BundleDetail) -> bool:
    return any(f.media_type.startswith("video/") and not f.locked for f in detail.files)


def campaign_text(campaign: Campaign) -> str:
    days = max(0, campaign.seconds_left) // 86_400
    if campaign.goal_backers:
        goal = f"{campaign.backers:,} of {campaign.goal_backers:,} backers"
    else:
        goal = (f"{format_price(campaign.pledged_cents, campaign.currency)} of "
                f"{format_price(campaign.goal_cents or 0, campaign.currency)}")
    state = {"open": f"{days} days left", "succeeded": "Funded", "failed": "Goal not reached"}
    return f"{goal} · {state.get(campaign.state.value, campaign.state.value)}"


class BundlePage(QWidget):
    back_requested = Signal()
    get_requested = Signal(str)
    email_requested = Signal(str)
    buy_requested = Signal(str)
    pledge_requested = Signal(str)
    watch_pilot_requested = Signal(str)
    play_requested = Signal(str)
    download_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail: BundleDetail | None = None
        self.back_button = QPushButton("← Store")
        self.back_button.clicked.connect(self.back_requested.emit)
        self.cover = QLabel()
        self.cover.setFixedSize(180, 240)  # the covers' 3:4, so no grey bands beside the picture
        self.cover.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.cover.setStyleSheet("background: #d9dce3; border-radius: 6px;")
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 20pt; font-weight: 600;")
        self.title.setWordWrap(True)
        self.creator = QLabel()
        self.price = QLabel()
        self.price.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.swarm = QLabel()
        self.owned_label = QLabel()
        self.campaign_bar = QProgressBar()
        self.campaign_bar.setTextVisible(False)
        self.campaign_label = QLabel()
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setTextFormat(Qt.TextFormat.PlainText)
        self.files = QTableWidget(0, 3)
        self.files.setHorizontalHeaderLabels(["File", "Size", "Access"])
        self.files.verticalHeader().hide()
        self.files.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.files.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.files.horizontalHeader().resizeSection(2, 150)

        self.buttons: dict[str, QPushButton] = {}
        actions = QHBoxLayout()
        for key, signal in (
            ("get", self.get_requested), ("email", self.email_requested), ("buy", self.buy_requested),
            ("pledge", self.pledge_requested), ("pilot", self.watch_pilot_requested),
            ("play", self.play_requested), ("download", self.download_requested),
        ):
            button = QPushButton()
            button.clicked.connect(lambda _=False, s=signal: self._emit(s))
            self.buttons[key] = button
            actions.addWidget(button)
        actions.addStretch(1)

        info = QVBoxLayout()
        for widget in (self.title, self.creator, self.price, self.campaign_bar, self.campaign_label,
                       self.swarm, self.owned_label):
            info.addWidget(widget)
        info.addLayout(actions)
        info.addStretch(1)
        head = QHBoxLayout()
        head.addWidget(self.cover)
        head.addLayout(info, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(head)
        layout.addWidget(self.description)
        layout.addWidget(self.files, 1)

    def _emit(self, signal: object) -> None:
        if self.detail is not None:
            signal.emit(self.detail.id)  # type: ignore[attr-defined]

    def visible_actions(self) -> list[str]:
        return [button.text() for button in self.buttons.values() if not button.isHidden()]

    def set_cover(self, pixmap: QPixmap) -> None:
        self.cover.setPixmap(pixmap.scaled(self.cover.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation))

    def show_bundle(self, detail: BundleDetail, *, owned: bool) -> None:
        self.detail = detail
        self.cover.clear()
        self.cover.setText(detail.kind.title())
        self.title.setText(detail.title)
        self.creator.setText(f"by {detail.creator} · {detail.kind} · {format_size(detail.total_size)}")
        self.price.setText(gate_label(detail))
        self.description.setText(detail.description or detail.summary)
        health = detail.swarm
        web_seed = " · always available from the store's web seed" if detail.web_seed_url else ""
        self.swarm.setText(f"Swarm: {health.seeders} seeding, {health.leechers} downloading, "
                           f"{health.completed} completed{web_seed}")
        campaign = detail.campaign
        self.campaign_bar.setVisible(campaign is not None)
        self.campaign_label.setVisible(campaign is not None)
        if campaign is not None:
            goal = campaign.goal_backers or campaign.goal_cents or 1
            done = campaign.backers if campaign.goal_backers else campaign.pledged_cents
            self.campaign_bar.setRange(0, 1000)
            self.campaign_bar.setValue(min(1000, round(done / goal * 1000)))
            self.campaign_label.setText(campaign_text(campaign))
        self.files.setRowCount(len(detail.files))
        for row, entry in enumerate(detail.files):
            self.files.setItem(row, 0, QTableWidgetItem(entry.path))
            size = QTableWidgetItem(format_size(entry.size))
            size.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.files.setItem(row, 1, size)
            access = QTableWidgetItem(FREE_TEXT)
            if entry.locked:
                access = QTableWidgetItem(lock_icon(not owned), YOURS_TEXT if owned else LOCKED_TEXT)
            self.files.setItem(row, 2, access)
        self._show_actions(detail, owned)

    def _show_actions(self, detail: BundleDetail, owned: bool) -> None:
        gate = detail.gate
        labels = {
            "get": "Get", "email": "Give e-mail…",
            "buy": f"Buy {format_price(gate.price_cents or gate.min_cents or 0, gate.currency)}…",
            "pledge": f"Pledge {format_price(gate.price_cents or 0, gate.currency)}…",
            "pilot": "Watch pilot", "play": "Play", "download": "Download",
        }
        if gate.type is GateType.PWYW:
            labels["buy"] = "Pay what you want…"
        campaign_open = detail.campaign is not None and detail.campaign.state.value == "open"
        shown = {
            "get": not owned and gate.type is GateType.FREE,
            "email": not owned and gate.type is GateType.EMAIL,
            "buy": not owned and gate.type in (GateType.PAID, GateType.PWYW),
            "pledge": not owned and gate.type is GateType.CAMPAIGN and campaign_open,
            "pilot": not owned and has_free_video(detail),
            "play": owned and any(f.media_type.startswith(("video/", "audio/")) for f in detail.files),
            "download": owned,
        }
        for key, button in self.buttons.items():
            button.setText(labels[key])
            button.setVisible(shown[key])
        self.owned_label.setText("✔ In your library" if owned else "")
