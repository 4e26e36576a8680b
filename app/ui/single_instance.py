"""One Bundlecast per user: a second launch hands its arguments (magnets, .torrent paths) to the first.

The running app listens on a ``QLocalServer`` whose name is derived from the user and the config folder
(so a test's private ``BUNDLECAST_HOME`` is an instance of its own). A new launch first tries
``send_to_running_instance``: when a server answers, it writes its arguments as one JSON line and exits;
otherwise it becomes the instance and starts ``InstanceServer``.

Main thread; ``send_to_running_instance`` blocks for at most ``timeout_ms`` — it runs before any window exists.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)


def instance_name(config_dir: Path) -> str:
    """A per-user, per-profile socket name, short enough for every platform."""
    digest = hashlib.sha256(f"{getpass.getuser()}\0{config_dir.resolve()}".encode()).hexdigest()[:16]
    return f"bundlecast-{digest}"


def send_to_running_instance(name: str, arguments: list[str], timeout_ms: int = 1500) -> bool:
    """True when another instance took the arguments; False when none is running."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(json.dumps({"args": arguments}).encode() + b"\n")
    socket.waitForBytesWritten(timeout_ms)
    # Wait for the running instance's "ok" so the message is not lost when this process exits at once.
    socket.waitForReadyRead(timeout_ms)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """Listens for later launches; emits ``arguments_received`` with each launch's arguments."""

    arguments_received = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)
        self._name = name

    def listen(self) -> bool:
        """Start listening; a stale socket left by a crashed instance is removed first."""
        QLocalServer.removeServer(self._name)
        ok = self._server.listen(self._name)
        if not ok:
            log.warning("Single-instance server could not listen: %s", self._server.errorString())
        return bool(ok)

    def close(self) -> None:
        self._server.close()

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            buffer = bytearray()

            def read(sock: QLocalSocket = socket, buf: bytearray = buffer) -> None:
                buf.extend(bytes(sock.readAll().data()))
                if b"\n" in buf:
                    self._handle(bytes(buf).split(b"\n", 1)[0])
                    sock.write(b"ok\n")
                    sock.disconnectFromServer()

            socket.readyRead.connect(read)
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                read()

    def _handle(self, line: bytes) -> None:
        try:
            message = json.loads(line)
            arguments = [str(a) for a in message.get("args", [])]
        except (ValueError, AttributeError, TypeError):
            log.warning("Ignored a malformed message from another launch")
            return
        self.arguments_received.emit(arguments)
