"""The bundle key of a publication in progress, kept in the OS keyring (never in a plain file) so a publish that
crashed resumes with the same key; forgotten once the store holds it. Blocking (D-Bus); worker threads."""

from __future__ import annotations

import base64
import contextlib

import keyring
from keyring.errors import KeyringError

from app.store.errors import VaultUnavailable

SERVICE = "bundlecast-publishing"


class KeyringBundleKeys:
    def put(self, job_id: str, key: bytes) -> None:
        try:
            keyring.set_password(SERVICE, job_id, base64.b64encode(key).decode("ascii"))
        except KeyringError as exc:
            raise VaultUnavailable(detail=f"keyring: {exc}") from exc

    def get(self, job_id: str) -> bytes | None:
        try:
            value = keyring.get_password(SERVICE, job_id)
        except KeyringError as exc:
            raise VaultUnavailable(detail=f"keyring: {exc}") from exc
        return base64.b64decode(value) if value else None

    def delete(self, job_id: str) -> None:
        with contextlib.suppress(KeyringError):  # already gone
            keyring.delete_password(SERVICE, job_id)
