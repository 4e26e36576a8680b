"""Test support for creators: an in-memory bundle-key store (unit tests only; the real parts use the keyring),
a folder of fake episodes, a creator account with the role, and a helper to read a bundle's license and decrypt.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx

from app.bundle import ContentCipher, load_public_key, verify_license, verify_manifest
from app.bundle.manifest import Manifest, SignedManifest


class MemoryKeys:
    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}

    def put(self, job_id: str, key: bytes) -> None:
        self.keys[job_id] = key

    def get(self, job_id: str) -> bytes | None:
        return self.keys.get(job_id)

    def delete(self, job_id: str) -> None:
        self.keys.pop(job_id, None)


def episodes(folder: Path, sizes: dict[str, int]) -> Path:
    """A folder of random files (path -> size), written 1 MiB at a time."""
    for rel, size in sizes.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            left = size
            while left:
                step = min(left, 1 << 20)
                fh.write(os.urandom(step))
                left -= step
    return folder


def new_account(api: httpx.Client, password: str = "password-123") -> tuple[str, str]:
    """(e-mail, bearer token) of a new account."""
    email = f"u-{uuid.uuid4().hex[:10]}@example.com"
    assert api.post("/accounts", json={"email": email, "password": password}).status_code == 201
    signed = api.post("/sessions", json={"email": email, "password": password})
    assert signed.status_code == 201, signed.text
    return email, str(signed.json()["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed_manifest(api: httpx.Client, bundle_id: str) -> Manifest:
    """The bundle's manifest, verified against the store's public key."""
    key = load_public_key(api.get("/public-key").json()["public_key"])
    detail = api.get(f"/bundles/{bundle_id}").json()
    return verify_manifest(SignedManifest.from_dict(detail["manifest"]), key)


def decrypt_with_license(api: httpx.Client, token_text: str, manifest: Manifest, path: str, data: bytes) -> bytes:
    """Open a locked file's ciphertext with a license token (verified against the store's key)."""
    key = load_public_key(api.get("/public-key").json()["public_key"])
    license_ = verify_license(token_text, key)
    file_key = license_.file_key(path)
    if file_key is None:
        raise PermissionError(f"the license does not open {path}")
    return ContentCipher(file_key, manifest.file(path).nonce_bytes).decrypt_at(0, data)
