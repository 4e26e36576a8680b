"""The Publish page: choose a folder, see its files with their media facts (and how to fix one that will not
stream well), choose the locked files, title, kind, description, cover and gate, see a preview of the store page,
then publish — progress for every long step, and Cancel. A publish the app was closed or crashed in is offered
back (``look_for_unfinished``): *Resume* finishes it, *Discard* rolls it back — never resumed without the creator.

Scanning and publishing run on the task runner's workers (``scan`` probes media; ``Publisher.run`` encrypts,
hashes, seeds and uploads); progress comes back through a queued signal, so the UI thread never waits. Errors are
the publishing code's own sentences. The folder and cover are picked with window-modal ``QFileDialog.open()``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.bundle import BundleKind, GateType
from app.library.publishing import FileFacts, Publisher, PublishError, PublishRequest
from app.ui.creator.money import cents_from_text
from app.ui.tasks import TaskRunner

STEP_WORDS = {
    "encrypting": "Encrypting and hashing",
    "hashing": "Hashing",
    "uploading": "Uploading to the store",
}
_GATES = [("Free", GateType.FREE), ("E-mail address", GateType.EMAIL), ("Price", GateType.PAID),
          ("Pay what you want", GateType.PWYW), ("Campaign", GateType.CAMPAIGN)]  # fmt: skip


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


class _ProgressRelay(QObject):
    progress = Signal(str, int, int)  # emitted on the publishing worker, delivered queued on the main thread


class PublishPage(QWidget):
    published = Signal(str)  # the new bundle's id
    unfinished_found = Signal(str)  # a sentence: a publish the app was closed in waits for Resume or Discard

    def __init__(
        self,
        runner: TaskRunner,
        make_publisher: Callable[[], Publisher],
        scan: Callable[[Path], list[FileFacts]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._make_publisher = make_publisher
        self._scan = scan
        self._folder: Path | None = None
        self._cover: Path | None = None
        self._facts: list[FileFacts] = []
        self._lock_items: dict[str, QTableWidgetItem] = {}
        self._cancel: threading.Event | None = None
        self._running = False
        self._unfinished: list[tuple[str, str]] = []  # (job id, title) of publishes a quit or crash interrupted
        self._relay = _ProgressRelay(self)
        self._relay.progress.connect(self._show_progress)

        self.folder_button = QPushButton("Choose a folder…")
        self.folder_button.clicked.connect(self._pick_folder)
        self.folder_label = QLabel("No folder chosen yet.")
        self.files = QTableWidget(0, 6)
        self.files.setHorizontalHeaderLabels(["Locked", "File", "Size", "Duration", "Bitrate", "Streams well"])
        self.files.itemChanged.connect(self._update_preview)
        self.title = QLineEdit()
        self.kind = QComboBox()
        for kind in BundleKind:
            self.kind.addItem(kind.value.title(), kind)
        self.description = QPlainTextEdit()
        self.gate = QComboBox()
        for label, gate in _GATES:
            self.gate.addItem(label, gate)
        self.gate.setCurrentIndex(2)
        self.price = QLineEdit("4.99")
        self.goal_backers = QSpinBox()
        self.goal_backers.setRange(0, 10_000_000)
        self.cover_button = QPushButton("Choose a cover (PNG)…")
        self.cover_button.clicked.connect(self._pick_cover)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.status = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.publish_button = QPushButton("Publish")
        self.publish_button.clicked.connect(self.publish)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        for field in (self.title, self.price):
            field.textChanged.connect(self._update_preview)
        self.gate.currentIndexChanged.connect(self._update_preview)
        self._build_unfinished_offer()
        self._layout()
        self._update_preview()

    def _build_unfinished_offer(self) -> None:
        self.unfinished_text = QLabel()
        self.unfinished_text.setWordWrap(True)
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(self.resume_unfinished)
        self.discard_button = QPushButton("Discard")
        self.discard_button.clicked.connect(self.discard_unfinished)
        self.unfinished_box = QWidget()
        offer = QHBoxLayout(self.unfinished_box)
        offer.addWidget(self.unfinished_text, 1)
        offer.addWidget(self.resume_button)
        offer.addWidget(self.discard_button)
        self.unfinished_box.hide()

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Title", self.title)
        form.addRow("Kind", self.kind)
        form.addRow("Description", self.description)
        form.addRow("Gate", self.gate)
        form.addRow("Price (USD)", self.price)
        form.addRow("Campaign goal (backers)", self.goal_backers)
        form.addRow("Cover", self.cover_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.publish_button)
        buttons.addWidget(self.cancel_button)
        top = QHBoxLayout()
        top.addWidget(self.folder_button)
        top.addWidget(self.folder_label, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.unfinished_box)
        layout.addLayout(top)
        layout.addWidget(self.files, 1)
        layout.addLayout(form)
        layout.addWidget(QLabel("Store page preview"))
        layout.addWidget(self.preview)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)

    # --- folder and cover ----------------------------------------------------------------------------------------
    def _pick_folder(self) -> None:
        dialog = QFileDialog(self, "Choose the folder to publish")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.fileSelected.connect(lambda path: self.choose_folder(Path(path)))
        dialog.open()

    def _pick_cover(self) -> None:
        dialog = QFileDialog(self, "Choose a cover image", filter="PNG images (*.png)")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.fileSelected.connect(lambda path: self.choose_cover(Path(path)))
        dialog.open()

    def choose_cover(self, path: Path) -> None:
        self._cover = path
        self.cover_button.setText(path.name)

    def choose_folder(self, folder: Path) -> None:
        """List ``folder``'s files with their facts (scanned on a worker)."""
        self._folder = folder
        self.folder_label.setText(f"Reading {folder.name}…")
        self.error.clear()
        if not self.title.text():
            self.title.setText(folder.name)
        self._runner.run(lambda: self._scan(folder), self._show_files, self._show_error)

    def _show_files(self, facts: list[FileFacts]) -> None:
        self._facts = facts
        assert self._folder is not None
        self.folder_label.setText(f"{self._folder.name}: {len(facts)} files")
        self.files.setRowCount(len(facts))
        self._lock_items = {}
        for row, fact in enumerate(facts):
            lock = QTableWidgetItem()
            lock.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            media = fact.media_type.split("/")[0] in ("video", "audio")
            lock.setCheckState(Qt.CheckState.Checked if media else Qt.CheckState.Unchecked)
            self._lock_items[fact.path] = lock
            streams = "" if fact.streams_well is None else ("Yes" if fact.streams_well else "No — see tip")
            cells = [
                lock,
                QTableWidgetItem(fact.path),
                QTableWidgetItem(_size(fact.size)),
                QTableWidgetItem(f"{fact.duration_s / 60:.1f} min" if fact.duration_s else ""),
                QTableWidgetItem(f"{fact.bitrate / 1e6:.1f} Mb/s" if fact.bitrate else ""),
                QTableWidgetItem(streams),
            ]
            if fact.advice:
                cells[5].setToolTip(fact.advice)
            for column, cell in enumerate(cells):
                self.files.setItem(row, column, cell)
        self._update_preview()

    def locked_paths(self) -> frozenset[str]:
        return frozenset(path for path, item in self._lock_items.items() if item.checkState() == Qt.CheckState.Checked)

    def set_locked(self, path: str, locked: bool) -> None:
        self._lock_items[path].setCheckState(Qt.CheckState.Checked if locked else Qt.CheckState.Unchecked)

    # --- preview -------------------------------------------------------------------------------------------------
    def _update_preview(self, *_: object) -> None:
        gate: GateType = self.gate.currentData()
        price = {
            GateType.FREE: "Free",
            GateType.EMAIL: "Free for your e-mail address",
            GateType.PAID: f"Buy {self.price.text().strip()}",
            GateType.PWYW: f"Pay what you want (at least {self.price.text().strip()})",
            GateType.CAMPAIGN: f"Back it: {self.price.text().strip()} the season",
        }[gate]
        locked = len(self.locked_paths()) if self._facts else 0
        total = sum(f.size for f in self._facts)
        self.preview.setText(
            f"{self.title.text().strip() or 'Untitled'}\n{price}\n"
            f"{len(self._facts)} files, {_size(total)} — {locked} locked, {len(self._facts) - locked} free to watch"
        )

    # --- publishing ----------------------------------------------------------------------------------------------
    def build_request(self) -> PublishRequest:
        """The request the form describes; ``PublishError`` with a sentence for what cannot be read."""
        if self._folder is None or not self._facts:
            raise PublishError("Choose a folder with your files first.")
        gate: GateType = self.gate.currentData()
        price = None
        if gate in (GateType.PAID, GateType.PWYW, GateType.CAMPAIGN):
            try:
                price = cents_from_text(self.price.text())
            except ValueError as exc:
                raise PublishError(str(exc)) from exc
        locked = self.locked_paths() if gate is not GateType.FREE else frozenset()
        return PublishRequest(
            folder=self._folder,
            title=self.title.text(),
            kind=self.kind.currentData(),
            gate=gate,
            locked=locked,
            price_cents=price,
            description=self.description.toPlainText(),
            cover=self._cover,
            goal_backers=self.goal_backers.value() or None,
        )

    def publish(self) -> None:
        self.error.clear()
        try:
            request = self.build_request()
        except PublishError as exc:
            self._show_error(exc)
            return
        cancel = self._start("Checking…")
        facts = list(self._facts)

        def work() -> str:
            publisher = self._make_publisher()
            job = publisher.plan(request, files=facts)
            return publisher.run(job, progress=self._relay.progress.emit, cancel=cancel)

        self._runner.run(work, self._done, self._show_error)

    def _start(self, status: str) -> threading.Event:
        self._cancel = cancel = threading.Event()
        self._running = True
        self.publish_button.setEnabled(False)
        self.unfinished_box.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(status)
        return cancel

    def _finish(self) -> None:
        self._running = False
        self.publish_button.setEnabled(True)
        self.unfinished_box.setEnabled(True)
        self.cancel_button.setEnabled(False)

    # --- a publish the app was closed or crashed in ---------------------------------------------------------------
    def look_for_unfinished(self) -> None:
        """Ask the publishing folder (on a worker) for interrupted publishes and offer the first one back.
        Signed out or the store not reachable: nothing is offered now (the Publish tab asks again later)."""
        if self._running:
            return  # the job running now is not an interrupted one

        def find() -> list[tuple[str, str]]:
            publisher = self._make_publisher()
            return [(job, str(publisher.journal(job).request.get("title", ""))) for job in publisher.unfinished()]

        self._runner.run(find, self._offer_unfinished, lambda _exc: None)

    def _offer_unfinished(self, found: list[tuple[str, str]]) -> None:
        if self._running:
            return
        self._unfinished = found
        if not found:
            self.unfinished_box.hide()
            return
        title = found[0][1] or "Untitled"
        sentence = (f"Publishing “{title}” stopped before it finished (the app was closed). Resume it, or "
                    "discard what was made? Nothing of it is in the store's catalog yet.")  # fmt: skip
        self.unfinished_text.setText(sentence)
        self.unfinished_box.show()
        self.unfinished_found.emit(f"Publishing “{title}” did not finish: see the Publish tab.")

    def resume_unfinished(self) -> None:
        if not self._unfinished:
            return
        job, title = self._unfinished[0]
        cancel = self._start(f"Resuming “{title}”…")
        self.unfinished_box.hide()

        def work() -> str:
            return self._make_publisher().run(job, progress=self._relay.progress.emit, cancel=cancel)

        self._runner.run(work, self._done, self._show_error)

    def discard_unfinished(self) -> None:
        if not self._unfinished:
            return
        job, title = self._unfinished[0]
        self._start(f"Discarding “{title}”…")
        self.cancel_button.setEnabled(False)
        self.unfinished_box.hide()

        def discarded(_: object) -> None:
            self._finish()
            self.status.setText(f"Discarded “{title}”: nothing of it was published.")
            self.look_for_unfinished()

        self._runner.run(lambda: self._make_publisher().roll_back(job), discarded, self._show_error)

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self.status.setText("Cancelling…")

    def _show_progress(self, step: str, done: int, total: int) -> None:
        self.status.setText(f"{STEP_WORDS.get(step, step.title())}… {_size(done)} of {_size(total)}")
        self.progress.setValue(int(1000 * done / total) if total else 1000)

    def _done(self, bundle_id: str) -> None:
        self._finish()
        self.progress.setValue(1000)
        self.status.setText(f"Published. Your computer is seeding it now ({bundle_id}).")
        self.published.emit(bundle_id)
        self.look_for_unfinished()

    def _show_error(self, exc: BaseException) -> None:
        self._finish()
        self.status.clear()
        self.error.setText(str(exc) if isinstance(exc, PublishError) else f"Publishing stopped: {exc}")
