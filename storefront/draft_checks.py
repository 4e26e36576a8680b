"""Checking what a creator's app sends to publish: metadata, gate, campaign and tiers, files against the torrent.

``check_draft`` turns the request's JSON into a ``CheckedDraft`` or raises ``InvalidInputError`` with one sentence
naming the field and the limit (a title of 10,000 characters, a price of -1 or 10^12, a cover that is not a PNG,
a manifest that does not describe the torrent...). Nothing is written here. Pure; any thread.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import dataclass
from typing import Any

from app.bundle import BundleError, BundleKind, Gate, GateType, ManifestFile
from storefront.errors import InvalidInputError
from storefront.torrent_layout import TorrentLayout, read_layout

MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_SUMMARY = 500
MAX_PRICE_CENTS = 1_000_000  # $10,000: anything above is a typo, not a price
MAX_GOAL_CENTS = 100_000_000_000
MAX_TIERS = 10
MAX_COVER_BYTES = 8 * 1024 * 1024
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _bad(message: str, code: str = "invalid_input") -> InvalidInputError:
    return InvalidInputError(message, code=code)


@dataclass(frozen=True, slots=True)
class TierSpec:
    tier_id: str
    title: str
    description: str
    price_cents: int


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    deadline_days: float
    goal_backers: int | None
    goal_cents: int | None
    tiers: tuple[TierSpec, ...]


@dataclass(frozen=True, slots=True)
class CheckedDraft:
    title: str
    kind: BundleKind
    description: str
    summary: str
    gate: Gate
    files: tuple[ManifestFile, ...]  # in torrent order
    layout: TorrentLayout
    torrent: bytes
    bundle_key: bytes
    cover: bytes | None
    campaign: CampaignDraft | None
    release: tuple[str, str] | None  # (id, title) of the release this draft adds


def _str(data: dict[str, Any], key: str, limit: int, *, required: bool = False, label: str = "") -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _bad(f"{label or key} must be text.")
    value = value.strip()
    if required and not value:
        raise _bad(f"Give the bundle a {label or key}.")
    if len(value) > limit:
        raise _bad(f"The {label or key} has {len(value):,} characters; at most {limit:,} fit.", code="too_long")
    return value


def _cents(value: object, what: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"The {what} is a whole number of cents.", code="invalid_price")
    if value < minimum or value > MAX_PRICE_CENTS:
        raise _bad(
            f"The {what} must be between ${minimum / 100:.2f} and ${MAX_PRICE_CENTS / 100:,.2f} (got {value} cents).",
            code="invalid_price",
        )
    return value


def b64_field(data: dict[str, Any], key: str, *, limit: int, required: bool = True) -> bytes | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise _bad(f"{key} is missing (base64).")
    if len(value) > limit * 4 // 3 + 8:
        raise _bad(f"{key} is larger than {limit // (1024 * 1024)} MB.", code="too_large")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _bad(f"{key} is not base64.") from exc


def check_gate(data: object) -> Gate:
    if not isinstance(data, dict):
        raise _bad("Choose a gate: free, email, paid, pwyw or campaign.", code="invalid_gate")
    try:
        kind = GateType(data.get("type"))
    except ValueError as exc:
        raise _bad("Choose a gate: free, email, paid, pwyw or campaign.", code="invalid_gate") from exc
    currency = data.get("currency", "USD")
    if currency != "USD":
        raise _bad("This store sells in USD only.", code="invalid_gate")
    try:
        if kind in (GateType.PAID, GateType.CAMPAIGN):
            return Gate(kind, price_cents=_cents(data.get("price_cents"), "price", minimum=1))
        if kind is GateType.PWYW:
            return Gate(kind, min_cents=_cents(data.get("min_cents", 0), "minimum price", minimum=0))
    except BundleError as exc:
        raise _bad(str(exc), code="invalid_gate") from exc
    return Gate(kind)


def check_cover(cover: bytes) -> bytes:
    """A PNG with a sane header (the store serves covers as image/png)."""
    if cover[:8] != _PNG_MAGIC or len(cover) < 33 or cover[12:16] != b"IHDR":
        raise _bad("The cover is not a PNG image. Choose a .png picture.", code="invalid_cover")
    width, height = struct.unpack(">II", cover[16:24])
    if not (0 < width <= 8192 and 0 < height <= 8192):
        raise _bad("The cover must be at most 8192 x 8192 pixels.", code="invalid_cover")
    return cover


def check_campaign(data: object, gate: Gate) -> CampaignDraft | None:
    if gate.type is not GateType.CAMPAIGN:
        if data:
            raise _bad("Only a campaign-gated bundle has a campaign.", code="invalid_campaign")
        return None
    if not isinstance(data, dict):
        raise _bad("A campaign needs a deadline and a goal.", code="invalid_campaign")
    days = data.get("deadline_days", 30)
    if isinstance(days, bool) or not isinstance(days, int | float) or not 0 < days <= 365:
        raise _bad("A campaign runs for more than 0 and at most 365 days.", code="invalid_campaign")
    backers, goal = data.get("goal_backers"), data.get("goal_cents")
    if backers is None and goal is None:
        raise _bad("A campaign needs a goal in backers or in amount.", code="invalid_campaign")
    if backers is not None and (not isinstance(backers, int) or not 0 < backers <= 100_000_000):
        raise _bad("The goal in backers is a whole number from 1 to 100,000,000.", code="invalid_campaign")
    if goal is not None and (not isinstance(goal, int) or not 0 < goal <= MAX_GOAL_CENTS):
        raise _bad("The goal amount is a positive number of cents up to $1,000,000,000.", code="invalid_campaign")
    tiers_in = data.get("tiers") or []
    if not isinstance(tiers_in, list) or len(tiers_in) > MAX_TIERS:
        raise _bad(f"A campaign has at most {MAX_TIERS} reward tiers.", code="invalid_campaign")
    tiers: list[TierSpec] = []
    for raw in tiers_in:
        if not isinstance(raw, dict):
            raise _bad("Each reward tier has an id, a title and a price.", code="invalid_campaign")
        tier_id = str(raw.get("id", ""))
        if not _ID.fullmatch(tier_id) or any(t.tier_id == tier_id for t in tiers):
            raise _bad(f"Reward tier id {tier_id!r} must be unique letters, digits, '.', '_' or '-'.")
        tiers.append(
            TierSpec(
                tier_id=tier_id,
                title=_str(raw, "title", MAX_TITLE, required=True, label="tier title"),
                description=_str(raw, "description", 1000, label="tier description"),
                price_cents=_cents(raw.get("price_cents"), f"price of tier {tier_id!r}", minimum=1),
            )
        )
    return CampaignDraft(float(days), backers, goal, tuple(tiers))


def check_files(data: object, layout: TorrentLayout, gate: Gate) -> tuple[ManifestFile, ...]:
    """The manifest's files, one per torrent file, in torrent order, sizes from the torrent."""
    if not isinstance(data, list) or not data:
        raise _bad("The bundle lists no files: choose a folder with something in it.", code="no_files")
    by_path: dict[str, dict[str, Any]] = {}
    for raw in data:
        if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
            raise _bad("Each file has a path.")
        by_path[raw["path"]] = raw
    torrent_paths = [f.path for f in layout.files]
    if set(by_path) != set(torrent_paths) or len(by_path) != len(data):
        raise _bad("The file list does not match the torrent's files.", code="files_mismatch")
    files: list[ManifestFile] = []
    for entry in layout.files:
        raw = by_path[entry.path]
        if raw.get("size") not in (None, entry.size):
            raise _bad(f"{entry.path}: its size does not match the torrent's.", code="files_mismatch")
        parts = entry.path.split("/")
        if any(p in ("", ".", "..") or p.startswith(".") or "\\" in p for p in parts):
            raise _bad(f"{entry.path!r} is not a file name a bundle can hold.", code="files_mismatch")
        try:
            files.append(
                ManifestFile(
                    path=entry.path,
                    size=entry.size,
                    media_type=str(raw.get("media_type") or "application/octet-stream")[:100],
                    locked=bool(raw.get("locked")),
                    nonce=raw.get("nonce") if raw.get("locked") else None,
                    duration_s=float(raw["duration_s"]) if raw.get("duration_s") is not None else None,
                    bitrate=int(raw["bitrate"]) if raw.get("bitrate") is not None else None,
                    release=str(raw["release"]) if raw.get("release") else None,
                )
            )
        except (BundleError, TypeError, ValueError) as exc:
            raise _bad(f"{entry.path}: {exc}", code="files_mismatch") from exc
    locked = [f for f in files if f.locked]
    if gate.type is GateType.FREE and locked:
        raise _bad("A free bundle cannot have locked files.", code="invalid_gate")
    if gate.type is not GateType.FREE and not locked:
        raise _bad(f"A {gate.type.value} bundle needs at least one locked file, or nothing is gated.")
    return tuple(files)


def check_draft(data: dict[str, Any], *, release: bool = False) -> CheckedDraft:
    """Every check of a new bundle (or, with ``release``, of a release's file list and torrent)."""
    torrent = b64_field(data, "torrent", limit=32 * 1024 * 1024)
    bundle_key = b64_field(data, "bundle_key", limit=64)
    assert torrent is not None and bundle_key is not None
    if len(bundle_key) != 32:
        raise _bad("A bundle key is 32 bytes.", code="invalid_key")
    layout = read_layout(torrent)
    if release:
        raw_release = data.get("release")
        if not isinstance(raw_release, dict) or not _ID.fullmatch(str(raw_release.get("id", ""))):
            raise _bad("A release has an id (letters, digits, '.', '_' or '-') and a title.", code="invalid_release")
        title = _str(raw_release, "title", MAX_TITLE, required=True, label="release title")
        return CheckedDraft(
            title=title,
            kind=BundleKind.SERIES,
            description="",
            summary="",
            gate=Gate(GateType.FREE),
            files=(),
            layout=layout,
            torrent=torrent,
            bundle_key=bundle_key,
            cover=None,
            campaign=None,
            release=(str(raw_release["id"]), title),
        )
    title = _str(data, "title", MAX_TITLE, required=True, label="title")
    try:
        kind = BundleKind(data.get("kind"))
    except ValueError as exc:
        raise _bad(f"kind is one of {', '.join(k.value for k in BundleKind)}.", code="invalid_kind") from exc
    gate = check_gate(data.get("gate"))
    cover = b64_field(data, "cover", limit=MAX_COVER_BYTES, required=False)
    return CheckedDraft(
        title=title,
        kind=kind,
        description=_str(data, "description", MAX_DESCRIPTION, label="description"),
        summary=_str(data, "summary", MAX_SUMMARY, label="summary"),
        gate=gate,
        files=check_files(data.get("files"), layout, gate),
        layout=layout,
        torrent=torrent,
        bundle_key=bundle_key,
        cover=check_cover(cover) if cover is not None else None,
        campaign=check_campaign(data.get("campaign"), gate),
        release=None,
    )
