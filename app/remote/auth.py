"""Who may use the remote API: the password (an argon2id hash in ``webui.json``, 0600), sessions, and the ban on
addresses that keep guessing.

``Credentials`` reads and writes the user name and password hash; the password itself is never stored.
``SessionBook`` hands out random session ids (the ``SID`` cookie, as qBittorrent names it) that end after
``idle_seconds`` without use or at logout. ``FailureBook`` counts wrong passwords per client address: after
``max_failures`` within ``ban_seconds`` the address is refused — even with the right password — until the ban
ends (qBittorrent's defaults: 5 failures, one hour).

Any thread (every book takes its own lock); argon2 verification costs ~30 ms (FIELD-NOTES) and runs on the
server's worker threads, never on its event loop.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.engine.resume_store import atomic_write

CREDENTIALS_FILE_NAME = "webui.json"
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)  # OWASP's minimum for argon2id


class CredentialsMissingError(Exception):
    """No remote password was set; the message says how to set one."""


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password_hash: str

    def verify(self, username: str, password: str) -> bool:
        if not secrets.compare_digest(username.encode(), self.username.encode()):
            _HASHER.hash("spend the same time")  # no faster answer for a wrong user name
            return False
        try:
            return _HASHER.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def save_credentials(state_dir: Path, username: str, password: str) -> Credentials:
    """Hash ``password`` (argon2id) and keep it with ``username`` in ``webui.json`` (mode 0600)."""
    if len(password) < 8:
        raise ValueError("The remote password needs at least 8 characters.")
    credentials = Credentials(username.strip() or "admin", _HASHER.hash(password))
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = state_dir / CREDENTIALS_FILE_NAME
    payload = {"username": credentials.username, "hash": credentials.password_hash}
    atomic_write(path, json.dumps(payload).encode())  # created 0600

    return credentials


def load_credentials(state_dir: Path) -> Credentials:
    path = state_dir / CREDENTIALS_FILE_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(str(raw["username"]), str(raw["hash"]))
    except (OSError, ValueError, KeyError) as exc:
        raise CredentialsMissingError(
            "No remote password is set. Set one with: python -m app --headless --set-webui-password"
        ) from exc


class SessionBook:
    """Random session ids that expire after ``idle_seconds`` without use."""

    def __init__(self, idle_seconds: float = 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._idle = idle_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._last_use: dict[str, float] = {}

    def open(self) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._last_use[sid] = self._clock()
        return sid

    def touch(self, sid: str | None) -> bool:
        """Whether ``sid`` is a live session (and keep it alive)."""
        if not sid:
            return False
        now = self._clock()
        with self._lock:
            last = self._last_use.get(sid)
            if last is None or now - last > self._idle:
                self._last_use.pop(sid, None)
                return False
            self._last_use[sid] = now
            return True

    def close(self, sid: str | None) -> None:
        with self._lock:
            self._last_use.pop(sid or "", None)


class FailureBook:
    """Wrong passwords per client address, and the bans they earn."""

    def __init__(
        self, max_failures: int = 5, ban_seconds: float = 3600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._max = max_failures
        self._ban = ban_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}

    def banned(self, address: str) -> bool:
        now = self._clock()
        with self._lock:
            recent = [t for t in self._failures.get(address, []) if now - t < self._ban]
            self._failures[address] = recent
            return len(recent) >= self._max

    def failed(self, address: str) -> None:
        with self._lock:
            self._failures.setdefault(address, []).append(self._clock())

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)
