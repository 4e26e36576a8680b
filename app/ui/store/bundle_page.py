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
    QCheckBox,
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

from app.library.campaign_progress import campaign_text
from app.library.fan_folders import BOOK_TYPES
from app.library.file_titles import titled_in_release_order
from app.store.models import BundleDetail, GateType
from app.ui.icons import lock_icon
from app.ui.store.catalog_page import gate_label
from app.ui.store.live_text import has_recording, is_live, live_buttons, state_text, ticket_label
from app.ui.units import format_price, format_size

LOCKED_TEXT, YOURS_TEXT, FREE_TEXT = "Locked", "Unlocked: yours", "Free"


def has_free_video(detail: BundleDetail) -> bool:
    return any(f.media_type.startswith("video/") and not f.locked for f in detail.files)


def first_book(detail: BundleDetail) -> str | None:
    """The path of the bundle's first book (an e-book or a PDF), if it has one."""
    return next((f.path for f in detail.files if f.media_type in BOOK_TYPES), None)


def _live_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet("font-size: 13pt;")
    return label


class BundlePage(QWidget):
    back_requested = Signal()
    get_requested = Signal(str)
    email_requested = Signal(str)
    buy_requested = Signal(str)
    pledge_requested = Signal(str)
    watch_pilot_requested = Signal(str)
    play_requested = Signal(str)
    download_requested = Signal(str)
    watch_live_requested = Signal(str)  # a live bundle's Watch (issue 9): the app's live player takes it
    open_book_requested = Signal(str, str)  # bundle id, the book's path in the bundle
    playable_copies_changed = Signal(object, bool)  # bundle id (None: every bundle I own), on
    remove_copies_with_bundle_changed = Signal(bool)

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
        self.live_label = _live_label()  # a live bundle: when it starts, or that it is on the air
        self.owned_label = QLabel()
        self.campaign_bar = QProgressBar()
        self.campaign_bar.setTextVisible(False)
        self.campaign_label = QLabel()
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setTextFormat(Qt.TextFormat.PlainText)
        self.files = QTableWidget(0, 3)
        self.files.setHorizontalHeaderLabels(["Title", "Size", "Access"])
        self.files.verticalHeader().hide()
        self.files.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.files.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.files.horizontalHeader().resizeSection(2, 150)

        copies_row = self._build_copies_row()

        self.buttons: dict[str, QPushButton] = {}
        actions = self._build_actions()

        info = QVBoxLayout()
        for widget in (self.title, self.creator, self.live_label, self.price, self.campaign_bar,
                       self.campaign_label, self.swarm, self.owned_label):
            info.addWidget(widget)
        info.addLayout(actions)
        info.addLayout(copies_row)
        info.addStretch(1)
        head = QHBoxLayout()
        head.addWidget(self.cover)
        head.addLayout(info, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(head)
        layout.addWidget(self.description)
        self.panel_box = QVBoxLayout()  # a panel the assembler hosts here (the campaign's backing panel)
        self.panel: QWidget | None = None
        layout.addLayout(self.panel_box)
        layout.addWidget(self.files, 1)
        layout.addStretch(0)  # takes the files' room when a live bundle has none (_show_live)
        self._page_layout = layout

    def set_panel(self, panel: QWidget | None) -> None:
        """Host ``panel`` under the description (``None`` removes the one shown); this page knows nothing of it."""
        if self.panel is not None:
            self.panel_box.removeWidget(self.panel)
            self.panel.deleteLater()
        self.panel = panel
        if panel is not None:
            self.panel_box.addWidget(panel)

    def _emit(self, signal: object) -> None:
        if self.detail is not None:
            signal.emit(self.detail.id)  # type: ignore[attr-defined]

    def _build_actions(self) -> QHBoxLayout:
        actions = QHBoxLayout()
        for key, signal in (
            ("get", self.get_requested), ("email", self.email_requested), ("buy", self.buy_requested),
            ("pledge", self.pledge_requested), ("pilot", self.watch_pilot_requested),
            ("play", self.play_requested), ("download", self.download_requested), ("read", None),
            ("watch", self.watch_live_requested),
        ):
            button = QPushButton()
            if signal is None:
                button.clicked.connect(self._open_book)
            else:
                button.clicked.connect(lambda _=False, s=signal: self._emit(s))
            self.buttons[key] = button
            actions.addWidget(button)
        actions.addStretch(1)
        return actions

    def _build_copies_row(self) -> QHBoxLayout:
        self.copies_box = QCheckBox("Keep playable copies in my Music, Videos and Books folders")
        self.copies_box.setToolTip("Decrypted copies of this bundle's files that any player or reader opens. "
                                   "Unticked, the copies are removed; Bundlecast itself never needs them.")
        self.copies_box.clicked.connect(lambda on: self._emit_copies(False, on))
        self.all_copies_box = QCheckBox("…for every bundle I own")
        self.all_copies_box.clicked.connect(lambda on: self._emit_copies(True, on))
        copies_row = QHBoxLayout()
        copies_row.addWidget(self.copies_box)
        copies_row.addWidget(self.all_copies_box)
        self.remove_copies_box = QCheckBox("Remove them when I remove the bundle")
        self.remove_copies_box.clicked.connect(self.remove_copies_with_bundle_changed)
        copies_row.addWidget(self.remove_copies_box)
        copies_row.addStretch(1)
        return copies_row

    def _emit_copies(self, for_all: bool, on: bool) -> None:
        if self.detail is not None:
            self.playable_copies_changed.emit(None if for_all else self.detail.id, on)

    def _open_book(self) -> None:
        book = first_book(self.detail) if self.detail is not None else None
        if self.detail is not None and book is not None:
            self.open_book_requested.emit(self.detail.id, book)

    def show_playable_copies(self, for_bundle: bool, for_all: bool, remove_with_bundle: bool = False) -> None:
        """Tick the boxes as the owner chose (the host knows the choices)."""
        self.copies_box.setChecked(for_bundle)
        self.all_copies_box.setChecked(for_all)
        self.remove_copies_box.setChecked(remove_with_bundle)

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
        for row, (title, entry) in enumerate(titled_in_release_order(detail.files, detail.releases)):
            name = QTableWidgetItem(title)
            name.setToolTip(entry.path)
            self.files.setItem(row, 0, name)
            size = QTableWidgetItem(format_size(entry.size))
            size.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.files.setItem(row, 1, size)
            access = QTableWidgetItem(FREE_TEXT)
            if entry.locked:
                access = QTableWidgetItem(lock_icon(not owned), YOURS_TEXT if owned else LOCKED_TEXT)
            self.files.setItem(row, 2, access)
        self._show_actions(detail, owned)
        self._show_live(detail, owned)

    def _show_live(self, detail: BundleDetail, owned: bool) -> None:
        """A live bundle (issue 9): when it starts and its gate's button or Watch, in place of files and downloads."""
        live = is_live(detail)
        recorded = has_recording(detail)  # an ended broadcast's recording: files and the ordinary buttons stay
        self.live_label.setVisible(live)
        self.files.setVisible(not live or recorded)
        self._page_layout.setStretch(self._page_layout.count() - 1, 1 if live and not recorded else 0)
        if not live:
            return
        self.creator.setText(f"by {detail.creator} · live broadcast")
        self.live_label.setText(state_text(detail))
        if recorded:
            return
        self.swarm.setText(f"Live swarm: {detail.swarm.leechers + detail.swarm.seeders} peers")
        shown = live_buttons(detail, owned)
        for key, button in self.buttons.items():
            button.setVisible(shown.get(key, False))
        self.buttons["watch"].setText("Watch")
        self.buttons["buy"].setText(ticket_label(detail))
        for box in (self.copies_box, self.all_copies_box, self.remove_copies_box):
            box.setVisible(False)

    def _show_actions(self, detail: BundleDetail, owned: bool) -> None:
        gate = detail.gate
        labels = {
            "get": "Get", "email": "Give e-mail…",
            "buy": f"Buy {format_price(gate.price_cents or gate.min_cents or 0, gate.currency)}…",
            "pledge": f"Pledge {format_price(gate.price_cents or 0, gate.currency)}…",
            "pilot": "Watch pilot", "play": "Play", "download": "Download", "read": "Read", "watch": "Watch",
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
            "read": owned and first_book(detail) is not None,
            "watch": False,  # live bundles only (_show_live)
        }
        for key, button in self.buttons.items():
            button.setText(labels[key])
            button.setVisible(shown[key])
        self.owned_label.setText("✔ In your library" if owned else "")
        for box in (self.copies_box, self.all_copies_box, self.remove_copies_box):
            box.setVisible(owned)
