"""The SOCKS5 proxy's login for the window: the password is read from the keyring when the app starts and kept there
when the user types a new one in Settings, and the engine is given it (``Engine.set_proxy_password``, memory only).
Never in settings.json, never in a log. A password typed in Settings is held (``hold``) until the settings are saved:
the save's worker keeps it and gives it to the engine *before* applying the settings that name the user, so the
proxy never sees that user with a stale password. Until the keyring answers at start, the proxy may refuse a login.

Main thread; the keyring and the engine are called on the task runner's workers (both may block).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from app.store.errors import VaultUnavailable
from app.ui.errors import user_message
from app.ui.tasks import TaskRunner


class PasswordKeeper(Protocol):
    """Where the password is kept (``app.store.proxy_password.ProxyPasswords``: the OS keyring)."""

    def get(self, username: str) -> str: ...
    def put(self, username: str, password: str) -> None: ...


class ProxyLogin(QObject):
    """Keeps the engine's proxy password in step with the keyring."""

    failed = Signal(str)  # a sentence for the user

    def __init__(self, set_password: Callable[[str], None], keeper: PasswordKeeper | None, tasks: TaskRunner,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._set_password = set_password
        self._keeper = keeper
        self._tasks = tasks
        self._held: tuple[str, str] | None = None

    def restore(self, username: str) -> None:
        """The app starts: give the engine the password kept for ``username`` (nothing without a user name)."""
        keeper = self._keeper
        if keeper is None or not username:
            return
        self._tasks.run(lambda: self._set_password(keeper.get(username)), None, self._on_failed)

    def hold(self, username: str, password: str) -> None:
        """A new password typed in Settings, kept by ``take_held``'s work when the settings are saved."""
        self._held = (username, password)

    def take_held(self) -> Callable[[], None] | None:
        """Work for the save's worker (run before the engine takes the new settings): the held password into the
        keyring, then to the engine; None when no new password was typed."""
        held, self._held = self._held, None
        if held is None:
            return None
        keeper = self._keeper
        username, password = held

        def work() -> None:
            if keeper is not None and username:
                try:
                    keeper.put(username, password)
                except VaultUnavailable as exc:  # this run still uses it; a sentence says it is not kept
                    self._on_failed(exc)
            self._set_password(password)

        return work

    def _on_failed(self, exc: BaseException) -> None:
        """Any thread: the signal is queued to the main thread."""
        self.failed.emit(f"The proxy password could not be kept: {user_message(exc)}")
