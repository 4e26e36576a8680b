"""The Settings page's transfer options (issue 12): queueing, alternative rate limits and their schedule, metered
connections, the live viewer's upload cap (issue 9), encryption, connection limit, SOCKS5 proxy, IP blocklist, the
watched folder, and the button that opens the RSS rules (``rss_rules_requested``).

``TransferSettingsForm.show_settings(settings)`` fills the fields, ``edited(settings)`` returns ``settings`` with
the fields' values; the Settings page calls both next to its own. Main thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from app.settings import AppSettings

MAX_RATE_KIB = 10_000_000
MAX_LIVE_UPLOAD_KBPS = 1_000_000  # 1 Gbit/s
LIVE_UPLOAD_HINT = (
    "While you watch a live broadcast, your app passes it on to other viewers. "
    "3000 kbit/s is about twice a typical broadcast. With “Don't upload on metered connections”, "
    "it passes nothing on while you are on mobile data or a hotspot."
)
BLOCKLIST_FILTER = "Blocklists (*.dat *.p2p *.txt);;All files (*)"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ENCRYPTION_CHOICES = (("Prefer encryption", "enabled"), ("Require encryption", "forced"), ("No encryption", "disabled"))


def _spin(maximum: int, suffix: str = "", special: str | None = None, minimum: int = 0) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(minimum, maximum)
    spin.setSuffix(suffix)
    spin.setMaximumWidth(220)
    if special:
        spin.setSpecialValueText(special)
    return spin


def _path_row(edit: QLineEdit, title: str, *, folder: bool) -> QHBoxLayout:
    browse = QPushButton("Choose…")

    def choose() -> None:
        chosen = (
            QFileDialog.getExistingDirectory(None, title, edit.text())
            if folder
            else QFileDialog.getOpenFileName(None, title, edit.text(), BLOCKLIST_FILTER)[0]
        )
        if chosen:
            edit.setText(chosen)

    browse.clicked.connect(choose)
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(browse)
    return row


class TransferSettingsForm(QWidget):
    """Form fields over the transfer settings of ``AppSettings``."""

    rss_rules_requested = Signal()
    proxy_password_entered = Signal(str, str)  # user name, password — for the keyring, never for settings.json

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.active_downloads = _spin(1000, special="Unlimited", minimum=-1)
        self.active_seeds = _spin(1000, special="Unlimited", minimum=-1)
        self.active_torrents = _spin(100_000, special="Unlimited", minimum=-1)
        self.alt_download = _spin(MAX_RATE_KIB, " KiB/s", "Unlimited")
        self.alt_upload = _spin(MAX_RATE_KIB, " KiB/s", "Unlimited")
        self.alt_on = QCheckBox("Use the alternative limits now")
        self.schedule_on = QCheckBox("Use them on a schedule")
        self.schedule_from = QTimeEdit()
        self.schedule_to = QTimeEdit()
        for edit in (self.schedule_from, self.schedule_to):
            edit.setDisplayFormat("HH:mm")
        self.days = [QCheckBox(name) for name in DAY_NAMES]
        self.no_upload_on_metered = QCheckBox("Don't upload on metered connections (mobile data, hotspots)")
        self.live_upload = _spin(MAX_LIVE_UPLOAD_KBPS, " kbit/s", "No limit")
        self.live_upload.setSingleStep(500)
        self.live_upload.setToolTip(LIVE_UPLOAD_HINT)
        self.live_upload_hint = QLabel(LIVE_UPLOAD_HINT)
        self.live_upload_hint.setWordWrap(True)
        self.encryption = QComboBox()
        for label, value in ENCRYPTION_CHOICES:
            self.encryption.addItem(label, value)
        self.connections = _spin(65_535, minimum=2)
        self.proxy_host = QLineEdit()
        self.proxy_host.setPlaceholderText("No proxy")
        self.proxy_port = _spin(65_535, minimum=1)
        self.proxy_username = QLineEdit()
        self.proxy_username.setPlaceholderText("No login")
        self.proxy_password = QLineEdit()
        self.proxy_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.proxy_password.setPlaceholderText("Unchanged (kept in your keyring)")
        self.blocklist = QLineEdit()
        self.blocklist.setPlaceholderText("No blocklist (eMule .dat or P2P list)")
        self.watched_folder = QLineEdit()
        self.watched_folder.setPlaceholderText("No watched folder")
        self.watched_delete = QCheckBox("Delete a .torrent file once added (else it moves to “added”)")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for group in self._groups():
            layout.addWidget(group)

    def _groups(self) -> list[QGroupBox]:
        queue = QGroupBox("Queue")
        form = QFormLayout(queue)
        form.addRow("Active downloads", self.active_downloads)
        form.addRow("Active seeds", self.active_seeds)
        form.addRow("Active torrents", self.active_torrents)
        alt = QGroupBox("Alternative rate limits")
        alt_form = QFormLayout(alt)
        alt_form.addRow("Download limit", self.alt_download)
        alt_form.addRow("Upload limit", self.alt_upload)
        alt_form.addRow(self.alt_on)
        alt_form.addRow(self.schedule_on)
        hours = QHBoxLayout()
        hours.addWidget(self.schedule_from)
        hours.addWidget(self.schedule_to)
        alt_form.addRow("From / to", hours)
        days = QHBoxLayout()
        for box in self.days:
            days.addWidget(box)
        alt_form.addRow("On", days)
        network = QGroupBox("Connection")
        net_form = QFormLayout(network)
        net_form.addRow(self.no_upload_on_metered)
        net_form.addRow("Live broadcasts: share at most", self.live_upload)
        net_form.addRow(self.live_upload_hint)
        net_form.addRow("Encryption", self.encryption)
        net_form.addRow("Connections at most", self.connections)
        proxy = QHBoxLayout()
        proxy.addWidget(self.proxy_host, 1)
        proxy.addWidget(self.proxy_port)
        net_form.addRow("SOCKS5 proxy (peers and trackers)", proxy)
        login = QHBoxLayout()
        login.addWidget(self.proxy_username, 1)
        login.addWidget(self.proxy_password, 1)
        net_form.addRow("Proxy user name and password", login)
        net_form.addRow("IP blocklist", _path_row(self.blocklist, "IP blocklist", folder=False))
        folder = QGroupBox("Watched folder")
        folder_form = QFormLayout(folder)
        folder_form.addRow("Add .torrent files from", _path_row(self.watched_folder, "Watched folder", folder=True))
        folder_form.addRow(self.watched_delete)
        rss_button = QPushButton("RSS rules…")
        rss_button.clicked.connect(self.rss_rules_requested.emit)
        folder_form.addRow("RSS auto-download", rss_button)
        return [queue, alt, network, folder]

    def show_settings(self, settings: AppSettings) -> None:
        self.active_downloads.setValue(settings.active_downloads)
        self.active_seeds.setValue(settings.active_seeds)
        self.active_torrents.setValue(settings.active_torrents)
        self.alt_download.setValue(settings.alt_download_rate_limit_kib)
        self.alt_upload.setValue(settings.alt_upload_rate_limit_kib)
        self.alt_on.setChecked(settings.alt_speed_on)
        schedule = settings.speed_schedule()
        self.schedule_on.setChecked(settings.alt_schedule_enabled)
        self.schedule_from.setTime(QTime(schedule.start.hour, schedule.start.minute))
        self.schedule_to.setTime(QTime(schedule.end.hour, schedule.end.minute))
        for day, box in enumerate(self.days):
            box.setChecked(bool(settings.alt_schedule_days >> day & 1))
        self.no_upload_on_metered.setChecked(settings.no_upload_on_metered)
        self.live_upload.setValue(min(max(0, settings.live_upload_kbps), MAX_LIVE_UPLOAD_KBPS))
        self.encryption.setCurrentIndex(max(0, self.encryption.findData(settings.encryption)))
        self.connections.setValue(settings.connections_limit)
        self.proxy_host.setText(settings.proxy_host)
        self.proxy_port.setValue(settings.proxy_port)
        self.proxy_username.setText(settings.proxy_username)
        self.proxy_password.clear()
        self.blocklist.setText(settings.blocklist_path)
        self.watched_folder.setText(settings.watched_folder)
        self.watched_delete.setChecked(settings.watched_folder_delete)

    def commit_proxy_password(self) -> None:
        """The settings were saved: hand a newly typed proxy password on (``proxy_password_entered``) and clear it."""
        password = self.proxy_password.text()
        if password:
            self.proxy_password.clear()
            self.proxy_password_entered.emit(self.proxy_username.text().strip(), password)

    def edited(self, settings: AppSettings) -> AppSettings:
        return settings.replace(
            active_downloads=self.active_downloads.value(),
            active_seeds=self.active_seeds.value(),
            active_torrents=self.active_torrents.value(),
            alt_download_rate_limit_kib=self.alt_download.value(),
            alt_upload_rate_limit_kib=self.alt_upload.value(),
            alt_speed_on=self.alt_on.isChecked(),
            alt_schedule_enabled=self.schedule_on.isChecked(),
            alt_schedule_from=self.schedule_from.time().toString("HH:mm"),
            alt_schedule_to=self.schedule_to.time().toString("HH:mm"),
            alt_schedule_days=sum(1 << day for day, box in enumerate(self.days) if box.isChecked()),
            no_upload_on_metered=self.no_upload_on_metered.isChecked(),
            live_upload_kbps=self.live_upload.value(),
            encryption=str(self.encryption.currentData()),
            connections_limit=self.connections.value(),
            proxy_host=self.proxy_host.text().strip(),
            proxy_port=self.proxy_port.value(),
            proxy_username=self.proxy_username.text().strip(),
            blocklist_path=self.blocklist.text().strip(),
            watched_folder=self.watched_folder.text().strip(),
            watched_folder_delete=self.watched_delete.isChecked(),
        )
