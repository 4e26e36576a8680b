"""The bundle format both sides share: manifest, content cipher, license tokens. Pure; cryptography only."""

from app.bundle.canonical import b64url_decode, b64url_encode, canonical_json
from app.bundle.cipher import NONCE_SIZE, ContentCipher, derive_file_key, derived_nonce
from app.bundle.errors import BundleError, InvalidSignatureError, MalformedError
from app.bundle.keys import StoreKey, load_public_key, public_key_b64, verify_signature
from app.bundle.license import Grant, GrantScope, License, issue_license, verify_license
from app.bundle.manifest import (
    BundleKind,
    Gate,
    GateType,
    LiveSection,
    Manifest,
    ManifestFile,
    Release,
    SignedManifest,
    sign_manifest,
    verify_manifest,
)

__all__ = [
    "NONCE_SIZE",
    "BundleError",
    "BundleKind",
    "ContentCipher",
    "Gate",
    "GateType",
    "Grant",
    "GrantScope",
    "InvalidSignatureError",
    "License",
    "LiveSection",
    "MalformedError",
    "Manifest",
    "ManifestFile",
    "Release",
    "SignedManifest",
    "StoreKey",
    "b64url_decode",
    "b64url_encode",
    "canonical_json",
    "derive_file_key",
    "derived_nonce",
    "issue_license",
    "load_public_key",
    "public_key_b64",
    "sign_manifest",
    "verify_license",
    "verify_manifest",
    "verify_signature",
]
