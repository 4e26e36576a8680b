"""The bundle manifest: what a bundle is, signed by the store.

The manifest names the bundle, its creator and kind, its gate and price, every file (path, size, media type,
duration and bitrate for media, locked or free, the per-file nonce of locked files) and the torrent's v1 and v2
info-hashes, which pin the content. It travels as canonical JSON plus an Ed25519 signature (``SignedManifest``).
Pure data; safe from any thread.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.bundle.canonical import b64url_decode, b64url_encode, canonical_json, parse_canonical_json
from app.bundle.errors import MalformedError
from app.bundle.keys import StoreKey, verify_signature

MANIFEST_VERSION = 1
_SIGNING_CONTEXT = b"bundlecast/manifest/v1\x00"


class BundleKind(enum.Enum):
    SERIES = "series"
    FILM = "film"
    MUSIC = "music"
    BOOK = "book"
    SOFTWARE = "software"
    GAME = "game"
    LIVE = "live"  # a broadcast carried by the live swarm (app.live); its manifest has a ``live`` section


class GateType(enum.Enum):
    FREE = "free"
    EMAIL = "email"
    PAID = "paid"
    PWYW = "pwyw"  # pay what you want, with a minimum
    CAMPAIGN = "campaign"


@dataclass(frozen=True, slots=True)
class Gate:
    type: GateType
    price_cents: int | None = None  # PAID and CAMPAIGN
    min_cents: int | None = None  # PWYW
    currency: str = "USD"

    def __post_init__(self) -> None:
        if self.type in (GateType.PAID, GateType.CAMPAIGN) and not (self.price_cents and self.price_cents > 0):
            raise MalformedError(f"a {self.type.value} gate needs a positive price")
        if self.type is GateType.PWYW and (self.min_cents is None or self.min_cents < 0):
            raise MalformedError("a pay-what-you-want gate needs a minimum of zero or more")


@dataclass(frozen=True, slots=True)
class ManifestFile:
    path: str  # '/'-separated, relative to the torrent's top folder
    size: int
    media_type: str
    locked: bool
    nonce: str | None = None  # hex, 16 bytes; locked files only
    duration_s: float | None = None
    bitrate: int | None = None  # bits per second
    release: str | None = None  # the release that added the file

    def __post_init__(self) -> None:
        if self.locked and (self.nonce is None or len(self.nonce) != 32):
            raise MalformedError(f"locked file {self.path!r} needs a 16-byte nonce")
        if self.path.startswith("/") or ".." in self.path.split("/"):
            raise MalformedError(f"file path {self.path!r} leaves the bundle")

    @property
    def nonce_bytes(self) -> bytes:
        if self.nonce is None:
            raise MalformedError(f"file {self.path!r} is not locked")
        return bytes.fromhex(self.nonce)


@dataclass(frozen=True, slots=True)
class LiveSection:
    """What a viewer trusts about a broadcast: the stream's id and public key, and where its origin serves blocks.

    The store signs it inside the manifest, so a viewer accepts exactly the blocks the broadcaster signed with the
    matching private key. ``stream_id`` is 32 hex digits; ``stream_public_key`` is base64 of 32 raw Ed25519 bytes.
    """

    stream_id: str
    stream_public_key: str
    origin_url: str
    starts_at: int = 0  # unix time the broadcast is announced for; 0 if not announced
    encrypted: bool = False  # a paid stream: block payloads are AES-CTR under a key a ticket grants

    def __post_init__(self) -> None:
        if len(self.stream_id) != 32 or any(c not in "0123456789abcdef" for c in self.stream_id):
            raise MalformedError("a live stream id is 32 lower-case hex digits")
        if not self.origin_url.startswith(("http://", "https://")):
            raise MalformedError("a live origin is an http(s) URL")

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream_id": self.stream_id,
            "stream_public_key": self.stream_public_key,
            "origin_url": self.origin_url,
            "starts_at": self.starts_at,
            "encrypted": self.encrypted,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LiveSection:
        return cls(
            stream_id=str(data["stream_id"]),
            stream_public_key=str(data["stream_public_key"]),
            origin_url=str(data["origin_url"]),
            starts_at=int(data.get("starts_at", 0)),
            encrypted=bool(data.get("encrypted", False)),
        )


@dataclass(frozen=True, slots=True)
class Release:
    id: str
    title: str
    released_at: int  # unix time


@dataclass(frozen=True, slots=True)
class Manifest:
    bundle_id: str
    store_id: str
    title: str
    creator: str
    kind: BundleKind
    description: str
    gate: Gate
    files: tuple[ManifestFile, ...]
    info_hash_v1: str | None
    info_hash_v2: str | None
    cover: str | None = None  # file name or URL path of the cover image
    releases: tuple[Release, ...] = field(default=())
    created_at: int = 0
    live: LiveSection | None = None  # kind LIVE only; absent from older manifests and from every other kind

    def file(self, path: str) -> ManifestFile:
        for entry in self.files:
            if entry.path == path:
                return entry
        raise KeyError(path)

    def to_dict(self) -> dict[str, Any]:
        data = self._core_dict()
        if self.live is not None:  # only when present: the canonical bytes of older manifests stay the same
            data["live"] = self.live.to_dict()
        return data

    def _core_dict(self) -> dict[str, Any]:
        return {
            "version": MANIFEST_VERSION,
            "bundle_id": self.bundle_id,
            "store_id": self.store_id,
            "title": self.title,
            "creator": self.creator,
            "kind": self.kind.value,
            "description": self.description,
            "gate": _drop_none(
                {
                    "type": self.gate.type.value,
                    "price_cents": self.gate.price_cents,
                    "min_cents": self.gate.min_cents,
                    "currency": self.gate.currency,
                }
            ),
            "files": [
                _drop_none(
                    {
                        "path": f.path,
                        "size": f.size,
                        "media_type": f.media_type,
                        "locked": f.locked,
                        "nonce": f.nonce,
                        "duration_s": f.duration_s,
                        "bitrate": f.bitrate,
                        "release": f.release,
                    }
                )
                for f in self.files
            ],
            "info_hash_v1": self.info_hash_v1,
            "info_hash_v2": self.info_hash_v2,
            "cover": self.cover,
            "releases": [{"id": r.id, "title": r.title, "released_at": r.released_at} for r in self.releases],
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        try:
            if data.get("version") != MANIFEST_VERSION:
                raise MalformedError(f"unknown manifest version {data.get('version')!r}")
            gate = data["gate"]
            return cls(
                bundle_id=str(data["bundle_id"]),
                store_id=str(data["store_id"]),
                title=str(data["title"]),
                creator=str(data["creator"]),
                kind=BundleKind(data["kind"]),
                description=str(data["description"]),
                gate=Gate(
                    type=GateType(gate["type"]),
                    price_cents=gate.get("price_cents"),
                    min_cents=gate.get("min_cents"),
                    currency=str(gate.get("currency", "USD")),
                ),
                files=tuple(
                    ManifestFile(
                        path=str(f["path"]),
                        size=int(f["size"]),
                        media_type=str(f["media_type"]),
                        locked=bool(f["locked"]),
                        nonce=f.get("nonce"),
                        duration_s=f.get("duration_s"),
                        bitrate=f.get("bitrate"),
                        release=f.get("release"),
                    )
                    for f in data["files"]
                ),
                info_hash_v1=data.get("info_hash_v1"),
                info_hash_v2=data.get("info_hash_v2"),
                cover=data.get("cover"),
                releases=tuple(
                    Release(id=str(r["id"]), title=str(r["title"]), released_at=int(r["released_at"]))
                    for r in data.get("releases", [])
                ),
                created_at=int(data.get("created_at", 0)),
                live=LiveSection.from_dict(data["live"]) if data.get("live") is not None else None,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedError(f"manifest is missing or has a bad field: {exc}") from exc


@dataclass(frozen=True, slots=True)
class SignedManifest:
    """The wire form: canonical JSON text and the base64url Ed25519 signature over it."""

    payload: str
    signature: str

    def to_dict(self) -> dict[str, str]:
        return {"payload": self.payload, "signature": self.signature}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignedManifest:
        try:
            return cls(payload=str(data["payload"]), signature=str(data["signature"]))
        except (KeyError, TypeError) as exc:
            raise MalformedError("a signed manifest has a payload and a signature") from exc


def sign_manifest(manifest: Manifest, store_key: StoreKey) -> SignedManifest:
    payload = canonical_json(manifest.to_dict())
    signature = store_key.sign(_SIGNING_CONTEXT + payload)
    return SignedManifest(payload=payload.decode("utf-8"), signature=b64url_encode(signature))


def verify_manifest(signed: SignedManifest, public_key: Ed25519PublicKey) -> Manifest:
    """The manifest, once its signature has verified against the store's key."""
    payload = signed.payload.encode("utf-8")
    verify_signature(public_key, b64url_decode(signed.signature), _SIGNING_CONTEXT + payload)
    data = parse_canonical_json(payload)
    if not isinstance(data, dict):
        raise MalformedError("a manifest is a JSON object")
    return Manifest.from_dict(data)


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
