"""The store's secrets on disk, outside the database: the Ed25519 signing key and the bundle-key wrap key.

Both files are created on first start (mode 0600, written atomically) under ``config.keys_dir`` unless the
config points elsewhere. Bundle keys live in the database only wrapped (AES-256-GCM) by the wrap key, so a
copy of the database alone unlocks nothing. Loaded once at start-up; the objects are safe from any thread.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.bundle import StoreKey
from storefront.config import StoreConfig
from storefront.errors import StoreError

_WRAP_AAD = b"bundlecast/bundle-key/v1"


class KeyFileError(StoreError):
    code = "store_key_error"
    status = 500


@dataclass(frozen=True, slots=True)
class StoreKeys:
    signing: StoreKey
    wrap_key: bytes

    def wrap(self, bundle_key: bytes) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + AESGCM(self.wrap_key).encrypt(nonce, bundle_key, _WRAP_AAD)

    def unwrap(self, wrapped: bytes) -> bytes:
        try:
            return AESGCM(self.wrap_key).decrypt(wrapped[:12], wrapped[12:], _WRAP_AAD)
        except InvalidTag as exc:
            raise KeyFileError(
                "a bundle key does not open with this store's wrap key: was keys/bundle_wrap.key replaced?"
            ) from exc


def load_store_key(config: StoreConfig) -> StoreKey:
    """The store's signing key, created on first use."""
    return StoreKey.load_or_create(config.effective_signing_key_path)


def load_store_keys(config: StoreConfig) -> StoreKeys:
    return StoreKeys(signing=load_store_key(config), wrap_key=_load_or_create_wrap_key(config.effective_wrap_key_path))


def _load_or_create_wrap_key(path: Path) -> bytes:
    if path.exists():
        data = path.read_bytes()
        if len(data) != 32:
            raise KeyFileError(f"{path} is not a 32-byte key; restore it from your backup")
        return data
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        # link() fails if another process created the key meanwhile: then theirs wins and we read it.
        os.link(tmp, path)
    except FileExistsError:
        return _load_or_create_wrap_key(path)
    finally:
        tmp.unlink()
    return key
