"""License tokens: compact, Ed25519-signed proofs that an account may open (some of) a bundle.

A token is ``bcl1.<payload>.<signature>``, both parts unpadded base64url; the payload is canonical JSON with the
license id, store, account, bundle, the grant, the key material and the issue time. A *bundle* grant carries the
bundle key (so files released later open too — a season pass); a *files* grant carries one derived key per listed
file. Tokens stay well under 2 KiB so every OS keyring holds them. This is a paygate, not DRM: no device binding.
Any change to any character fails verification (canonical base64 and canonical JSON are enforced). Pure.
"""

from __future__ import annotations

import enum
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.bundle.canonical import b64url_decode, b64url_encode, canonical_json, parse_canonical_json
from app.bundle.cipher import KEY_SIZE, derive_file_key
from app.bundle.errors import MalformedError
from app.bundle.keys import StoreKey, verify_signature

TOKEN_PREFIX = "bcl1"  # noqa: S105 - a format tag, not a secret
MAX_TOKEN_BYTES = 2048
_SIGNING_CONTEXT = b"bundlecast/license/v1\x00"


class GrantScope(enum.Enum):
    BUNDLE = "bundle"  # the whole bundle and its future releases
    FILES = "files"  # only the listed files


@dataclass(frozen=True, slots=True)
class Grant:
    scope: GrantScope
    bundle_key: bytes | None = None  # BUNDLE scope
    file_keys: tuple[tuple[str, bytes], ...] = field(default=())  # FILES scope: (path, key)

    def __post_init__(self) -> None:
        if self.scope is GrantScope.BUNDLE and (self.bundle_key is None or len(self.bundle_key) != KEY_SIZE):
            raise MalformedError("a bundle grant carries a 32-byte bundle key")
        if self.scope is GrantScope.FILES and (
            not self.file_keys or any(len(key) != KEY_SIZE for _, key in self.file_keys)
        ):
            raise MalformedError("a files grant lists files with 32-byte keys")

    @classmethod
    def whole_bundle(cls, bundle_key: bytes) -> Grant:
        return cls(scope=GrantScope.BUNDLE, bundle_key=bundle_key)

    @classmethod
    def for_files(cls, bundle_key: bytes, paths: list[str]) -> Grant:
        keys = tuple((path, derive_file_key(bundle_key, path)) for path in sorted(paths))
        return cls(scope=GrantScope.FILES, file_keys=keys)


@dataclass(frozen=True, slots=True)
class License:
    license_id: str
    store_id: str
    account_id: str
    bundle_id: str
    grant: Grant
    issued_at: int

    def file_key(self, file_path: str) -> bytes | None:
        """The key that opens ``file_path``, or None when this license does not grant that file."""
        if self.grant.scope is GrantScope.BUNDLE:
            assert self.grant.bundle_key is not None
            return derive_file_key(self.grant.bundle_key, file_path)
        return dict(self.grant.file_keys).get(file_path)

    def opens(self, file_path: str) -> bool:
        return self.file_key(file_path) is not None

    def _payload(self) -> dict[str, Any]:
        grant: dict[str, Any] = {"scope": self.grant.scope.value}
        if self.grant.scope is GrantScope.BUNDLE:
            assert self.grant.bundle_key is not None
            grant["key"] = b64url_encode(self.grant.bundle_key)
        else:
            grant["files"] = [[path, b64url_encode(key)] for path, key in self.grant.file_keys]
        return {
            "lid": self.license_id,
            "sid": self.store_id,
            "acc": self.account_id,
            "bid": self.bundle_id,
            "grant": grant,
            "iat": self.issued_at,
        }


def issue_license(
    store_key: StoreKey,
    *,
    store_id: str,
    account_id: str,
    bundle_id: str,
    grant: Grant,
    license_id: str | None = None,
    issued_at: int | None = None,
) -> tuple[License, str]:
    """Sign a new license; returns it and its token."""
    lic = License(
        license_id=license_id or secrets.token_hex(12),
        store_id=store_id,
        account_id=account_id,
        bundle_id=bundle_id,
        grant=grant,
        issued_at=int(time.time()) if issued_at is None else issued_at,
    )
    payload = canonical_json(lic._payload())
    signature = store_key.sign(_SIGNING_CONTEXT + payload)
    token = f"{TOKEN_PREFIX}.{b64url_encode(payload)}.{b64url_encode(signature)}"
    if len(token) > MAX_TOKEN_BYTES:
        raise MalformedError(f"license token is {len(token)} bytes, over the {MAX_TOKEN_BYTES}-byte limit")
    return lic, token


def verify_license(token: str, public_key: Ed25519PublicKey) -> License:
    """The license inside ``token``, once its signature has verified against the store's key."""
    if len(token) > MAX_TOKEN_BYTES:
        raise MalformedError("license token is too long")
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise MalformedError("not a Bundlecast license token")
    payload = b64url_decode(parts[1])
    verify_signature(public_key, b64url_decode(parts[2]), _SIGNING_CONTEXT + payload)
    data = parse_canonical_json(payload)
    return _license_from_payload(data)


def _license_from_payload(data: Any) -> License:
    try:
        grant_data = data["grant"]
        scope = GrantScope(grant_data["scope"])
        if scope is GrantScope.BUNDLE:
            grant = Grant(scope=scope, bundle_key=b64url_decode(grant_data["key"]))
        else:
            grant = Grant(
                scope=scope,
                file_keys=tuple((str(path), b64url_decode(key)) for path, key in grant_data["files"]),
            )
        return License(
            license_id=str(data["lid"]),
            store_id=str(data["sid"]),
            account_id=str(data["acc"]),
            bundle_id=str(data["bid"]),
            grant=grant,
            issued_at=int(data["iat"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedError(f"license payload is missing or has a bad field: {exc}") from exc
