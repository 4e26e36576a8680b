"""The Settings tab: a form over ``AppSettings`` — download folder, rate limits, listen port, seeding policy,
how much other downloads are slowed while the player plays, tray behaviour and the store URL. *Save* emits
``settings_saved`` with the new settings; the composition root persists them and applies them to the engine and
the player. A new store address is tried first (on a worker): one that is not an address, or where no store
answers, is refused with a sentence and nothing is saved. Rates step in round units (``RateSpinBox``).
Main thread only.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.settings import AppSettings
from app.ui.rate_spin_box import RateSpinBox
from app.ui.tasks import TaskRunner, ThreadPoolTaskRunner
from app.ui.transfer_settings_form import TransferSettingsForm

MAX_RATE_KIB = 10_000_000
NUMBER_FIELD_WIDTH = 220  # a number across the whole window reads as a text field


def try_store_url(url: str) -> None:
    """Ask the store at ``url`` who it is; raises the store client's error (with its sentence) when it cannot.
    Blocking: worker threads."""
    from app.store.client import StoreClient

    with StoreClient(url, timeout=(3.05, 10)) as client:
        client.store_info()


def _rate(minimum: int = 0, zero_text: str = "Unlimited") -> RateSpinBox:
    spin = RateSpinBox(MAX_RATE_KIB, zero_text=zero_text, minimum_kib=minimum)
    spin.setMaximumWidth(NUMBER_FIELD_WIDTH)
    return spin


def _spin(maximum: int, suffix: str, special: str | None = None) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(0, maximum)
    spin.setSuffix(suffix)
    spin.setMaximumWidth(NUMBER_FIELD_WIDTH)
    if special:
        spin.setSpecialValueText(special)
    return spin


class SettingsPage(QWidget):
    """Edits a copy of the settings; nothing changes until *Save*."""

    settings_saved = Signal(object)  # AppSettings

    def __init__(
        self, settings: AppSettings, parent: QWidget | None = None, *, tasks: TaskRunner | None = None,
        check_store_url: Callable[[str], None] = try_store_url,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._tasks: TaskRunner = tasks or ThreadPoolTaskRunner(max_threads=1, parent=self)
        self._check_store_url = check_store_url
        self.download_dir = QLineEdit()
        self.download_dir.setPlaceholderText("Downloads/Bundlecast")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.download_dir, 1)
        folder_row.addWidget(browse)
        self.download_limit = _rate()
        self.upload_limit = _rate()
        self.listen_port = _spin(65535, "", "Any free port")
        self.seed_ratio = QDoubleSpinBox()
        self.seed_ratio.setRange(0, 100)
        self.seed_ratio.setSingleStep(0.5)
        self.seed_ratio.setSpecialValueText("No limit")
        self.seed_ratio.setMaximumWidth(NUMBER_FIELD_WIDTH)
        self.seed_minutes = _spin(100_000, " min", "No limit")
        self.start_minimized = QCheckBox("Start minimized to the tray")
        self.close_to_tray = QCheckBox("Closing the window keeps Bundlecast seeding in the tray")
        self.slow_others = QCheckBox("Slow other downloads while watching")
        self.slow_others_rate = _rate(minimum=1)
        self.slow_others.toggled.connect(self.slow_others_rate.setEnabled)
        self.show_add_dialog = QCheckBox("Ask where and how before adding a torrent or magnet")
        self.auto_download_releases = QCheckBox("Download new episodes of bundles I own or backed when they come out")
        self.store_url = QLineEdit()
        self.store_url.setPlaceholderText("Empty: the built-in demo store")
        self.transfer_form = TransferSettingsForm()  # queue, alternative limits, network, watched folder
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.transfer_form)
        left = QVBoxLayout()
        for group in self._build_groups(folder_row):
            left.addWidget(group)
        left.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addWidget(scroll, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addLayout(self._build_buttons())
        self.show_settings(settings)

    def _build_groups(self, folder_row: QHBoxLayout) -> list[QGroupBox]:
        transfers = QGroupBox("Downloads and network")
        form = QFormLayout(transfers)
        form.addRow("Download folder", folder_row)
        form.addRow("Download limit", self.download_limit)
        form.addRow("Upload limit", self.upload_limit)
        form.addRow("Listen port", self.listen_port)
        form.addRow(self.show_add_dialog)
        seeding = QGroupBox("Seeding")
        seed_form = QFormLayout(seeding)
        seed_form.addRow("Stop at ratio", self.seed_ratio)
        seed_form.addRow("Stop after", self.seed_minutes)
        player = QGroupBox("Player")
        player_form = QFormLayout(player)
        player_form.addRow(self.slow_others)
        player_form.addRow("Other downloads at most", self.slow_others_rate)
        desktop = QGroupBox("Desktop")
        desktop_layout = QVBoxLayout(desktop)
        desktop_layout.addWidget(self.start_minimized)
        desktop_layout.addWidget(self.close_to_tray)
        store = QGroupBox("Store")
        store_form = QFormLayout(store)
        store_form.addRow(self.auto_download_releases)
        store_form.addRow("Store URL", self.store_url)
        store_form.addRow("", QLabel("A new store URL is used from the next start."))
        return [transfers, seeding, player, desktop, store]

    def _build_buttons(self) -> QHBoxLayout:
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("Revert")
        self.revert_button.clicked.connect(lambda: self.show_settings(self._settings))
        self.saved_label = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.saved_label, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        return buttons

    def show_settings(self, settings: AppSettings) -> None:
        self._settings = settings
        self.download_dir.setText(settings.download_dir)
        self.download_limit.setValue(settings.download_rate_limit_kib)
        self.upload_limit.setValue(settings.upload_rate_limit_kib)
        self.listen_port.setValue(settings.listen_port)
        self.seed_ratio.setValue(settings.seed_ratio_limit)
        self.seed_minutes.setValue(settings.seed_time_limit_minutes)
        self.start_minimized.setChecked(settings.start_minimized)
        self.close_to_tray.setChecked(settings.close_to_tray)
        self.slow_others.setChecked(settings.slow_others_while_watching)
        self.slow_others_rate.setValue(max(1, settings.slow_others_rate_kib))
        self.slow_others_rate.setEnabled(settings.slow_others_while_watching)
        self.store_url.setText(settings.store_url)
        self.show_add_dialog.setChecked(settings.show_add_dialog)
        self.auto_download_releases.setChecked(settings.auto_download_releases)
        self.transfer_form.show_settings(settings)
        self.saved_label.clear()

    def edited_settings(self) -> AppSettings:
        """The settings as the form shows them."""
        return self.transfer_form.edited(self._settings).replace(
            download_dir=self.download_dir.text().strip(),
            download_rate_limit_kib=self.download_limit.value(),
            upload_rate_limit_kib=self.upload_limit.value(),
            listen_port=self.listen_port.value(),
            seed_ratio_limit=round(self.seed_ratio.value(), 2),
            seed_time_limit_minutes=self.seed_minutes.value(),
            start_minimized=self.start_minimized.isChecked(),
            close_to_tray=self.close_to_tray.isChecked(),
            slow_others_while_watching=self.slow_others.isChecked(),
            slow_others_rate_kib=self.slow_others_rate.value(),
            store_url=self.store_url.text().strip().rstrip("/"),
            show_add_dialog=self.show_add_dialog.isChecked(),
            auto_download_releases=self.auto_download_releases.isChecked(),
        )

    def save(self) -> None:
        """Save what the form shows; a new store address is tried first and refused with a sentence if it fails."""
        edited = self.edited_settings()
        if not edited.store_url or edited.store_url == self._settings.store_url:
            self._commit(edited)
            return
        self.save_button.setEnabled(False)
        self.saved_label.setText(f"Checking the store at {edited.store_url}…")
        self._tasks.run(lambda: self._check_store_url(edited.store_url), lambda _none: self._commit(edited),
                        self._refuse_store_url)

    def _commit(self, edited: AppSettings) -> None:
        self.save_button.setEnabled(True)
        self._settings = edited
        self.saved_label.setText("Saved.")
        self.transfer_form.commit_proxy_password()
        self.settings_saved.emit(self._settings)

    def _refuse_store_url(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        reason = getattr(exc, "user_message", None) or "No store answered at that address."
        self.saved_label.setText(f"Not saved: {reason}")

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Download folder", self.download_dir.text())
        if folder:
            self.download_dir.setText(folder)
