"""A live stream's signing key in the real Secret Service (gnome-keyring through scripts/run-tests.sh): kept under its
own service, read back able to sign what the public half the store gets verifies, forgotten on delete."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.store.stream_keys import KeyringStreamKeys, new_stream_key, public_key_b64
from tests.store.keyring_support import secret_service_items


def test_a_stream_key_is_kept_in_the_keyring_and_signs_for_the_public_half(keyring_service: str) -> None:
    keys = KeyringStreamKeys(keyring_service)
    key = new_stream_key()
    public = public_key_b64(key)
    keys.put("night-ferry-live-1a2b3c", key)
    assert [name for name, _ in secret_service_items(keyring_service)] == ["night-ferry-live-1a2b3c"]

    again = keys.get("night-ferry-live-1a2b3c")
    assert again is not None
    signature = again.sign(b"block 1")
    Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(signature, b"block 1")  # raises if not
    assert keys.get("another-bundle") is None

    keys.delete("night-ferry-live-1a2b3c")
    assert keys.get("night-ferry-live-1a2b3c") is None and secret_service_items(keyring_service) == []
    keys.delete("night-ferry-live-1a2b3c")  # already gone: no error
