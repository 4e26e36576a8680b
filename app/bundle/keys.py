"""The store's Ed25519 signing key and its public half.

The store signs manifests and license tokens with one private key (kept outside its database); the app pins the
public key (base64 of the 32 raw bytes) on first contact and verifies everything against it.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.atomic_write import write_atomically
from app.bundle.errors import InvalidSignatureError, MalformedError


class StoreKey:
    """A store's private signing key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key

    @classmethod
    def generate(cls) -> StoreKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes) -> StoreKey:
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise MalformedError(f"not a PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise MalformedError("the store key must be an Ed25519 key")
        return cls(key)

    @classmethod
    def load_or_create(cls, path: Path) -> StoreKey:
        """Load the key at ``path``, or create it there (mode 0600, written atomically) on first start."""
        if path.exists():
            return cls.from_pem(path.read_bytes())
        key = cls.generate()
        write_atomically(path, key.to_pem(), mode=0o600)
        return key

    def to_pem(self) -> bytes:
        return self._private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def sign(self, message: bytes) -> bytes:
        return self._private_key.sign(message)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._private_key.public_key()

    @property
    def public_key_b64(self) -> str:
        return public_key_b64(self.public_key)


def public_key_b64(public_key: Ed25519PublicKey) -> str:
    """Standard base64 of the 32 raw public-key bytes (the form the store API serves)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def load_public_key(text: str) -> Ed25519PublicKey:
    """Parse a public key served as base64 of 32 raw bytes."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedError(f"public key is not base64: {exc}") from exc
    if len(raw) != 32:
        raise MalformedError("an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_signature(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> None:
    """Raise InvalidSignatureError unless ``signature`` is the store's signature of ``message``."""
    if len(signature) != 64:
        raise MalformedError("an Ed25519 signature has 64 bytes")
    try:
        public_key.verify(signature, message)
    except InvalidSignature as exc:
        raise InvalidSignatureError("the signature does not match the store's key") from exc
