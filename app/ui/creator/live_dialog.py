"""The creator's *Go live* dialog: make a live event (title, start time, gate), then go on air with a source and
watch the broadcast's figures — on air, viewers connected, upload — until *Stop*.

Creating the event runs on a worker (``create``: the store call and the keyring). The broadcast itself runs in a
child process, ``bundlecast live broadcast … --json`` (``command`` builds its arguments on a worker: the store's
address and the session token may block), read through ``QProcess`` signals, so the encoder never shares the UI
thread and a crash in it cannot take the window down. *Stop* (or closing the dialog) sends SIGTERM; the child tells
the store the broadcast has ended before it exits. Main thread only; opened with ``open()`` (window-modal).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QDateTime, QProcess, QProcessEnvironment, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.library.live_events import CreatedLive, LiveEventRequest, OwnEvent
from app.ui.tasks import TaskRunner

GATES = [("Free", "free"), ("Free with an e-mail address", "email"), ("Paid ticket", "price")]
SOURCES = [("Test pattern with a clock", "pattern"), ("This screen", "screen"), ("Camera", "camera"),
           ("Media file…", "file")]  # fmt: skip
DEFAULT_ORIGIN = "http://127.0.0.1:8470"
BroadcastCommand = tuple[list[str], dict[str, str]]  # argv (program first) and extra environment


class GoLiveDialog(QDialog):
    on_air_changed = Signal(bool)

    def __init__(
        self,
        runner: TaskRunner,
        create: Callable[[LiveEventRequest], CreatedLive],
        command: Callable[[str, str], BroadcastCommand],
        parent: QWidget | None = None,
        *,
        own_events: Callable[[], list[OwnEvent]] | None = None,  # events announced before that this computer can air
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Go live")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._runner, self._create, self._command = runner, create, command
        self._own_events = own_events
        self.bundle_id = ""
        self.viewer_address = ""  # host:port of the broadcast's overlay once on air
        self._process: QProcess | None = None
        self._buffer = b""
        self._closing = False
        self.pages = QStackedWidget()
        self.pages.addWidget(self._event_page())
        self.pages.addWidget(self._broadcast_page())
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addWidget(self.message)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._end_before_quitting)
        if own_events is not None:
            self._runner.run(own_events, self._show_own_events, lambda _error: None)  # none shown: create one

    # --- the live event ----------------------------------------------------------------------------------------
    def _event_page(self) -> QWidget:
        page = QWidget()
        self.title = QLineEdit()
        self.description = QLineEdit()
        self.starts_at = QDateTimeEdit(QDateTime.currentDateTime())
        self.starts_at.setCalendarPopup(True)
        self.gate = QComboBox()
        for label, value in GATES:
            self.gate.addItem(label, value)
        self.price = QSpinBox()
        self.price.setRange(1, 100_000)
        self.price.setValue(500)
        self.price.setPrefix("$ ")
        self.price.setSuffix(" (cents)")
        self.price.setEnabled(False)
        self.gate.currentIndexChanged.connect(lambda _i: self.price.setEnabled(self.gate.currentData() == "price"))
        self.origin = QLineEdit(DEFAULT_ORIGIN)
        self.origin.setToolTip("The address viewers reach this computer at; the port above it must be open too.")
        self.create_button = QPushButton("Create live event")
        self.create_button.clicked.connect(self.create_event)
        form = QFormLayout(page)
        form.addRow("Title", self.title)
        form.addRow("Description", self.description)
        form.addRow("Starts", self.starts_at)
        form.addRow("Who can watch", self.gate)
        form.addRow("Ticket price", self.price)
        form.addRow("Your address", self.origin)
        form.addRow(self.create_button)
        self.earlier = QComboBox()
        self.earlier_button = QPushButton("Go live with it")
        self.earlier_button.clicked.connect(self.use_earlier_event)
        earlier = QHBoxLayout()
        earlier.addWidget(self.earlier, 1)
        earlier.addWidget(self.earlier_button)
        self.earlier_row = QWidget()
        self.earlier_row.setLayout(earlier)
        self.earlier_row.setVisible(False)
        form.addRow("Or one you announced", self.earlier_row)
        return page

    def _show_own_events(self, events: list[OwnEvent]) -> None:
        self.earlier.clear()
        for event in events:
            when = "on air now" if event.on_air else event.starts_at.astimezone().strftime("%a %d %b, %H:%M")
            self.earlier.addItem(f"{event.title} ({when})", event.bundle_id)
        self.earlier_row.setVisible(bool(events))

    def use_earlier_event(self) -> None:
        if self.earlier.currentIndex() < 0:
            return
        self.bundle_id = str(self.earlier.currentData())
        self.event_label.setText(f"“{self.earlier.currentText()}”: go live when you are ready.")
        self.pages.setCurrentIndex(1)

    def create_event(self) -> None:
        title = self.title.text().strip()
        if not title:
            self.message.setText("Give the live event a title.")
            return
        gate = str(self.gate.currentData())
        request = LiveEventRequest(
            title=title,
            origin_url=self.origin.text().strip(),
            starts_at=int(self.starts_at.dateTime().toSecsSinceEpoch()),
            description=self.description.text().strip(),
            gate=gate,
            price_cents=self.price.value() if gate == "price" else None,
        )
        self.create_button.setEnabled(False)
        self.message.setText("Creating the live event…")
        self._runner.run(lambda: self._create(request), self._created, self._create_failed)

    def _created(self, created: CreatedLive) -> None:
        self.bundle_id = created.bundle_id
        self.event_label.setText(f"“{self.title.text().strip()}” is announced. Go live when you are ready.")
        self.message.clear()
        self.pages.setCurrentIndex(1)

    def _create_failed(self, error: BaseException) -> None:
        self.create_button.setEnabled(True)
        self.message.setText(f"The live event could not be created: {error}")

    # --- the broadcast -----------------------------------------------------------------------------------------
    def _broadcast_page(self) -> QWidget:
        page = QWidget()
        self.event_label = QLabel()
        self.event_label.setWordWrap(True)
        self.source = QComboBox()
        for label, value in SOURCES:
            self.source.addItem(label, value)
        self.source_detail = QLineEdit()
        self.source_detail.setPlaceholderText("camera: /dev/video0,mic:hw:0 — screen: :0 — file: its path")
        browse = QPushButton("Choose file…")
        browse.clicked.connect(self._choose_file)
        self.state = QLabel("Not on air")
        self.viewers = QLabel("")
        self.upload = QLabel("")
        self.go_button = QPushButton("Go live")
        self.go_button.clicked.connect(self.go_live)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        detail = QHBoxLayout()
        detail.addWidget(self.source_detail, 1)
        detail.addWidget(browse)
        buttons = QHBoxLayout()
        buttons.addWidget(self.go_button)
        buttons.addWidget(self.stop_button)
        form = QFormLayout(page)
        form.addRow(self.event_label)
        form.addRow("Source", self.source)
        form.addRow("", detail)
        form.addRow(self.state)
        form.addRow("Viewers", self.viewers)
        form.addRow("Upload", self.upload)
        form.addRow(buttons)
        return page

    def _choose_file(self) -> None:
        dialog = QFileDialog(self, "Broadcast a media file")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.fileSelected.connect(self._file_chosen)
        dialog.open()

    def _file_chosen(self, path: str) -> None:
        self.source.setCurrentIndex(self.source.findData("file"))
        self.source_detail.setText(path)

    def source_text(self) -> str:
        kind, detail = str(self.source.currentData()), self.source_detail.text().strip()
        if kind == "file":
            return detail
        if kind == "camera" and detail:
            return f"camera:{detail}" if detail.startswith("/") else f"camera,{detail}"
        return f"{kind}:{detail}" if detail and kind == "screen" else kind

    def go_live(self) -> None:
        source = self.source_text()
        if not source:
            self.message.setText("Choose the media file to broadcast.")
            return
        self.go_button.setEnabled(False)
        self.state.setText("Starting…")
        self.message.clear()
        bundle_id = self.bundle_id
        self._runner.run(lambda: self._command(bundle_id, source), self._start_process, self._start_failed)

    def _start_failed(self, error: BaseException) -> None:
        self.go_button.setEnabled(True)
        self.state.setText("Not on air")
        self.message.setText(f"The broadcast could not start: {error}")

    def _start_process(self, command: BroadcastCommand) -> None:
        argv, extra_env = command
        process = QProcess(self)
        environment = QProcessEnvironment.systemEnvironment()
        for key, value in extra_env.items():
            environment.insert(key, value)
        process.setProcessEnvironment(environment)
        process.readyReadStandardOutput.connect(self._read_output)
        process.finished.connect(self._finished)
        self._process, self._buffer = process, b""
        process.start(argv[0], argv[1:])  # its stdin stays open: the child ends the broadcast when it closes
        self.stop_button.setEnabled(True)

    def _read_output(self) -> None:
        if self._process is None:
            return
        self._buffer += bytes(self._process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                self._show(event)

    def _show(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "ready":
            self.viewer_address = f"{event['host']}:{event['port']}"
        elif kind == "on_air":
            self.state.setText("On air")
            self.viewers.setText("0 viewers connected to you")
            self.on_air_changed.emit(True)
        elif kind == "figures":
            count = int(event["viewers"])
            self.viewers.setText(f"{count} viewer{'' if count == 1 else 's'} connected to you")
            rate, delay = event["upload_bps"] / 1e6, event["delay_s"]
            self.upload.setText(f"{rate:.1f} Mbit/s; viewers about {delay:.1f} s behind")
        elif kind in ("ended", "error", "tracker"):
            self.message.setText(str(event.get("text", "")))

    def stop(self) -> None:
        if self._process is not None and self._process.state() != QProcess.ProcessState.NotRunning:
            self.state.setText("Stopping…")
            self.stop_button.setEnabled(False)
            self._process.terminate()  # SIGTERM: the broadcaster tells the store it has ended, then exits

    def _finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        self._read_output()
        was_on_air = self.state.text() in ("On air", "Stopping…")
        self.state.setText("The broadcast has ended" if was_on_air else "Not on air")
        if code != 0 and not self.message.text():
            self.message.setText("The broadcast stopped unexpectedly.")
        self.go_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self._process = None
        self.on_air_changed.emit(False)
        if self._closing:
            self.done(0)

    def _end_before_quitting(self) -> None:
        """The app is quitting: end the broadcast now — QProcess would otherwise kill the child without a word,
        leaving the store listing a broadcast nobody sends. At quit the window is going anyway, so this waits (the
        child's goodbye to the store is one request)."""
        process = self._process
        if process is not None and process.state() != QProcess.ProcessState.NotRunning:
            process.terminate()
            if not process.waitForFinished(10_000):
                process.kill()

    @property
    def broadcasting(self) -> bool:
        return self._process is not None

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.broadcasting:  # end the broadcast first, so the store never lists a broadcast no one sends
            self._closing = True
            self.stop()
            event.ignore()
            return
        super().closeEvent(event)

    def reject(self) -> None:
        if self.broadcasting:
            self._closing = True
            self.stop()
            return
        super().reject()
