"""A live stream's signing key on the creator's machine: made here, kept in the OS keyring (never in a plain file or a
log), read back by the broadcaster. The store gets only the public half (``public_key_b64`` → ``NewLiveEvent``).

``KeyringStreamKeys`` keeps one key per live bundle id under its own keyring service. Blocking (D-Bus); worker
threads.
"""

from __future__ import annotations

import base64
import contextlib

import keyring
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from keyring.errors import KeyringError

from app.store.errors import VaultUnavailable

SERVICE = "bundlecast-live-streams"


def new_stream_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_key_b64(key: Ed25519PrivateKey) -> str:
    """The public half as the store takes it: base64 of the 32 raw bytes."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


class KeyringStreamKeys:
    def __init__(self, service: str = SERVICE) -> None:
        self._service = service

    def put(self, bundle_id: str, key: Ed25519PrivateKey) -> None:
        raw = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        try:
            keyring.set_password(self._service, bundle_id, base64.b64encode(raw).decode("ascii"))
        except KeyringError as exc:
            raise VaultUnavailable(detail=f"keyring: {type(exc).__name__}") from exc

    def get(self, bundle_id: str) -> Ed25519PrivateKey | None:
        try:
            value = keyring.get_password(self._service, bundle_id)
        except KeyringError as exc:
            raise VaultUnavailable(detail=f"keyring: {type(exc).__name__}") from exc
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(value)) if value else None

    def delete(self, bundle_id: str) -> None:
        with contextlib.suppress(KeyringError):  # already gone
            keyring.delete_password(self._service, bundle_id)
