"""The private keys of a creator's live streams, kept in the OS keyring (never in a plain file, never in a log).

The creator's app makes a stream's Ed25519 key pair when it creates a live event and keeps the private half here,
filed under the public half (base64, as the live bundle's signed manifest carries it), so a broadcast finds its key
from the manifest alone and the store never sees it. Blocking (D-Bus); worker threads and the CLI's main thread.
"""

from __future__ import annotations

import base64

import keyring
from keyring.errors import KeyringError

from app.store.errors import VaultUnavailable

SERVICE = "bundlecast-live-streams"


class KeyringStreamKeys:
    def put(self, public_key: str, private_raw: bytes) -> None:
        """Keep the 32 raw private bytes of the stream whose public key is ``public_key`` (base64)."""
        try:
            keyring.set_password(SERVICE, public_key, base64.b64encode(private_raw).decode("ascii"))
        except KeyringError as exc:
            raise VaultUnavailable(detail=f"keyring: {exc}") from exc

    def get(self, public_key: str) -> bytes | None:
        try:
            value = keyring.get_password(SERVICE, public_key)
        except KeyringError as exc:
            raise VaultUnavailable(detail=f"keyring: {exc}") from exc
        return base64.b64decode(value) if value else None
