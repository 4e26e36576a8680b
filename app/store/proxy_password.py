"""The SOCKS5 proxy's password, kept in the OS keyring under the proxy's user name (never in settings.json or a log).

``ProxyPasswords`` is what the desktop hands the window (``DesktopConfig.proxy_passwords``): ``get`` when the app
starts, ``put`` when the user types a new one in Settings. A keyring that cannot be used raises
``VaultUnavailable`` (the caller says so in a sentence); a user name with no password kept reads as "".
Blocking (D-Bus); worker threads.
"""

from __future__ import annotations

import keyring
from keyring.errors import KeyringError

from app.store.errors import VaultUnavailable

SERVICE = "bundlecast-proxy"


class ProxyPasswords:
    def __init__(self, service: str = SERVICE) -> None:
        self._service = service

    def get(self, username: str) -> str:
        try:
            return keyring.get_password(self._service, username) or ""
        except KeyringError as exc:
            raise VaultUnavailable(detail=f"keyring: {exc}") from exc

    def put(self, username: str, password: str) -> None:
        try:
            keyring.set_password(self._service, username, password)
        except KeyringError as exc:
            raise VaultUnavailable(detail=f"keyring: {exc}") from exc
