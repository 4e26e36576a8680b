"""The creator CLI's ``publish``: a folder of files becomes a listed bundle.

``publish_bundle`` copies the folder into the store's content area - encrypting every file that matches a
``--lock`` glob with AES-256-CTR under its own key (``derive_file_key(bundle_key, path)``) and a random nonce -
makes a hybrid v1+v2 torrent of exactly those bytes announcing the store's tracker and web seed, and registers
the bundle (signed manifest, wrapped bundle key, campaign) in the catalog. The content area therefore holds only
what the torrent holds; plaintext of a locked file is never written there.

The work is staged in a hidden folder and moved into place before the catalog transaction; if registering
fails, the content and the .torrent are removed again. Runs on the caller's thread (CPU and disk bound).
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import mimetypes
import os
import re
import secrets
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import inspect, select

from app.bundle import (
    NONCE_SIZE,
    BundleError,
    BundleKind,
    ContentCipher,
    Gate,
    GateType,
    Manifest,
    ManifestFile,
    Release,
    derive_file_key,
)
from storefront.accounts import normalize_email
from storefront.catalog import CampaignSpec, new_bundle_id, register_bundle
from storefront.config import StoreConfig
from storefront.db import Database
from storefront.errors import StoreError
from storefront.models import Account
from storefront.torrents import MEDIA_PIECE_SIZE, bdecode, create_bundle_torrent

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_BUNDLE_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")  # it names a folder: never "..", never hidden
_EXTRA_TYPES = {".epub": "application/epub+zip", ".mp4": "video/mp4", ".m4a": "audio/mp4", ".mp3": "audio/mpeg",
                ".srt": "application/x-subrip", ".vtt": "text/vtt"}


class PublishError(StoreError):
    code = "publish_failed"
    status = 400


@dataclass(frozen=True, slots=True)
class MediaFacts:
    """Duration and bitrate of a media file, recorded in the manifest for the player."""

    duration_s: float
    bitrate: int


def media_type_of(path: str) -> str:
    suffix = Path(path).suffix.lower()
    return _EXTRA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def _probe_media(path: Path) -> MediaFacts | None:
    try:
        from storefront.demo.media import probe  # PyAV is the optional "demo" extra
    except ImportError:
        return None
    try:
        info = probe(path)
    except Exception:  # a file FFmpeg cannot read simply has no duration in the manifest
        return None
    return MediaFacts(info.duration_s, info.bitrate) if info.duration_s else None


def _source_files(source_dir: Path) -> list[str]:
    if not source_dir.is_dir():
        raise PublishError(f"{source_dir} is not a folder")
    found = []
    for root, dirs, files in os.walk(source_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            full = Path(root) / name
            if name.startswith(".") or full.is_symlink() or not full.is_file():
                continue  # hidden files and links are not content
            found.append(full.relative_to(source_dir).as_posix())
    if not found:
        raise PublishError(f"{source_dir} holds no files to publish")
    return found


def _top_name(title: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in " -_.()&," else " " for c in title)
    return " ".join(cleaned.split())[:100].strip(" .") or "bundle"


def _torrent_file_indices(torrent: bytes) -> dict[str, int]:
    """Each real file's index in the torrent (pad files of a hybrid torrent take indices too)."""
    meta = bdecode(torrent)
    assert isinstance(meta, dict)
    info = meta[b"info"]
    assert isinstance(info, dict)
    indices: dict[str, int] = {}
    for index, entry in enumerate(info.get(b"files", [])):
        if b"p" in entry.get(b"attr", b""):
            continue
        indices["/".join(part.decode() for part in entry[b"path"])] = index
    return indices


def _locked_paths(paths: Sequence[str], gate: Gate, lock_globs: Sequence[str]) -> set[str]:
    """The files to encrypt; refuses a gate that would lock nothing, or a free bundle that locks something."""
    if gate.type is not GateType.FREE and not lock_globs:
        raise PublishError(f"a {gate.type.value} bundle needs at least one --lock glob, or nothing is gated")
    locked = {p for p in paths if any(fnmatch.fnmatchcase(p, g) for g in lock_globs)}
    if lock_globs and not locked:
        raise PublishError(f"no file matches the lock globs {list(lock_globs)}")
    if gate.type is GateType.FREE and locked:
        raise PublishError("a free bundle cannot have locked files")
    return locked


def _manifest_files(
    entries: Mapping[str, _Staged], indices: Mapping[str, int], releases_of: Mapping[str, str]
) -> list[ManifestFile]:
    """The manifest's files in torrent order."""
    return [
        ManifestFile(
            path=path,
            size=entries[path].size,
            media_type=entries[path].media_type,
            locked=entries[path].locked,
            nonce=entries[path].nonce,
            duration_s=entries[path].duration_s,
            bitrate=entries[path].bitrate,
            release=releases_of.get(path),
        )
        for path in sorted(entries, key=indices.__getitem__)
    ]


def publish_bundle(
    config: StoreConfig,
    source_dir: Path,
    *,
    title: str,
    creator: str,
    kind: BundleKind,
    gate: Gate,
    lock_globs: Sequence[str] = (),
    description: str = "",
    summary: str = "",
    cover: Path | None = None,
    campaign: CampaignSpec | None = None,
    releases: Sequence[Release] = (),
    file_releases: Mapping[str, str] | None = None,
    media_facts: Mapping[str, MediaFacts] | None = None,
    bundle_id: str | None = None,
    piece_size: int = MEDIA_PIECE_SIZE,
    database: Database | None = None,
    creator_account: str | None = None,
) -> str:
    """Publish ``source_dir`` as a bundle and return its id.

    ``lock_globs`` match paths relative to ``source_dir`` ('/'-separated, ``*`` crosses folders).
    ``media_facts`` may give durations already known (else media files are probed with PyAV when present).
    ``creator_account`` is the e-mail address of the store account that sees the bundle's sales report and
    subscriber export; it must exist already (``PublishError`` before anything is written otherwise).
    """
    paths = _source_files(source_dir)
    locked = _locked_paths(paths, gate, lock_globs)
    if cover is not None and (not cover.is_file() or cover.read_bytes()[:8] != _PNG_MAGIC):
        raise PublishError(f"cover {cover} is not a PNG image")
    bundle_id = bundle_id or new_bundle_id(title)
    if not _BUNDLE_ID.fullmatch(bundle_id):
        raise PublishError(
            f"bundle id {bundle_id!r} must be 1-64 letters, digits, '.', '_' or '-', not starting with '.'"
        )
    creator_account_id = creator_account_id_of(config, creator_account, database) if creator_account else None
    config.ensure_dirs()
    final_dir = config.content_dir(bundle_id)
    if final_dir.exists():
        raise PublishError(f"content for bundle {bundle_id!r} already exists at {final_dir}")
    bundle_key = secrets.token_bytes(32)
    staging = config.content_root / f".staging-{bundle_id}"
    top = staging / _top_name(title)
    torrent_path = config.torrent_path(bundle_id)
    cover_rel = f"covers/{bundle_id}.png" if cover is not None else None
    shutil.rmtree(staging, ignore_errors=True)  # left by a publish that crashed
    try:
        entries = _stage_files(
            source_dir, top, paths, locked=locked, bundle_key=bundle_key, media_facts=media_facts or {}
        )
        created = create_bundle_torrent(
            top,
            tracker_url=config.tracker_url,
            web_seed_url=config.web_seed_url(bundle_id),
            piece_size=piece_size,
            comment=f"{title} - {creator}",
        )
        indices = _torrent_file_indices(created.data)
        files = _manifest_files(entries, indices, file_releases or {})
        manifest = Manifest(
            bundle_id=bundle_id,
            store_id=config.store_id,
            title=title,
            creator=creator,
            kind=kind,
            description=description,
            gate=gate,
            files=tuple(files),
            info_hash_v1=created.info_hash_v1,
            info_hash_v2=created.info_hash_v2,
            cover=f"/api/v1/bundles/{bundle_id}/cover" if cover is not None else None,
            releases=tuple(releases),
            created_at=int(dt.datetime.now(dt.UTC).timestamp()),
        )
        _write_atomically(torrent_path, created.data)
        if cover is not None:
            _write_atomically(config.data_dir / str(cover_rel), cover.read_bytes())
        staging.rename(final_dir)
        db = database or Database(config.effective_database_url)
        try:
            if database is None:
                db.migrate()
            with db.write() as session:
                register_bundle(
                    session,
                    config,
                    manifest,
                    bundle_key=bundle_key,
                    torrent_data=created.data,
                    summary=summary,
                    cover_path=cover_rel,
                    creator_account_id=creator_account_id,
                    file_indices=[indices[f.path] for f in files],
                    campaign=campaign,
                )
        finally:
            if database is None:
                db.dispose()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(final_dir, ignore_errors=True)
        torrent_path.unlink(missing_ok=True)
        if cover_rel is not None:
            (config.data_dir / cover_rel).unlink(missing_ok=True)
        raise
    return bundle_id


def creator_account_id_of(config: StoreConfig, email: str, database: Database | None = None) -> str:
    """The id of the store account with this e-mail address; ``PublishError`` when there is none.

    Only reads: a data dir without a database yet is not given one (a refused publish changes nothing).
    """
    address = normalize_email(email)
    missing = PublishError(
        f"no account with the e-mail address {address} in this store; the creator signs up first "
        "(in the app, or POST /api/v1/accounts), then publish again",
        code="unknown_account",
    )
    if database is None and not config.database_url and not (config.data_dir / "store.db").is_file():
        raise missing
    db = database or Database(config.effective_database_url)
    try:
        if not inspect(db.engine).has_table(Account.__tablename__):
            raise missing
        with db.session() as session:
            account_id = session.scalar(select(Account.id).where(Account.email == address))
    finally:
        if database is None:
            db.dispose()
    if account_id is None:
        raise missing
    return account_id


@dataclass(frozen=True, slots=True)
class _Staged:
    size: int
    media_type: str
    locked: bool
    nonce: str | None
    duration_s: float | None
    bitrate: int | None


def _stage_files(
    source_dir: Path,
    top: Path,
    paths: Sequence[str],
    *,
    locked: set[str],
    bundle_key: bytes,
    media_facts: Mapping[str, MediaFacts],
) -> dict[str, _Staged]:
    staged: dict[str, _Staged] = {}
    for rel in paths:
        source = source_dir / rel
        target = top / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        media_type = media_type_of(rel)
        facts = media_facts.get(rel)
        if facts is None and media_type.split("/")[0] in ("video", "audio"):
            facts = _probe_media(source)  # probe the plaintext: the ciphertext is not decodable
        nonce: str | None = None
        if rel in locked:
            nonce_bytes = secrets.token_bytes(NONCE_SIZE)
            nonce = nonce_bytes.hex()
            cipher = ContentCipher(derive_file_key(bundle_key, rel), nonce_bytes)
            with source.open("rb") as src, target.open("wb") as dst:
                cipher.transform_stream(src, dst)
        else:
            shutil.copyfile(source, target)
        staged[rel] = _Staged(
            size=target.stat().st_size,
            media_type=media_type,
            locked=rel in locked,
            nonce=nonce,
            duration_s=facts.duration_s if facts else None,
            bitrate=facts.bitrate if facts else None,
        )
    return staged


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def parse_cents(text: str) -> int:
    """'9.95' or '9' dollars -> cents; refuses negative amounts and fractions of a cent."""
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise PublishError(f"{text!r} is not an amount (write 9.95)") from exc
    cents = amount * 100
    if cents < 0 or cents != cents.to_integral_value():
        raise PublishError(f"{text!r} is not an amount in whole cents")
    return int(cents)


def gate_from_args(gate: str, price: str | None, currency: str = "USD") -> Gate:
    """The gate the CLI asked for: ``--price`` is the price (paid, campaign) or the minimum (pwyw)."""
    try:
        kind = GateType(gate)
    except ValueError as exc:
        raise PublishError(f"unknown gate {gate!r}; use one of {[g.value for g in GateType]}") from exc
    cents = parse_cents(price) if price is not None else None
    try:
        return _gate(kind, cents, currency)
    except BundleError as exc:
        raise PublishError(str(exc)) from exc


def _gate(kind: GateType, cents: int | None, currency: str) -> Gate:
    if kind in (GateType.PAID, GateType.CAMPAIGN):
        if not cents:
            raise PublishError(f"a {kind.value} bundle needs --price above zero")
        return Gate(kind, price_cents=cents, currency=currency)
    if kind is GateType.PWYW:
        return Gate(kind, min_cents=cents or 0, currency=currency)
    return Gate(kind, currency=currency)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m storefront publish", description="Publish a bundle.")
    parser.add_argument("source", type=Path, help="the folder whose files make the bundle")
    parser.add_argument(
        "--store", help="the store's URL: publish through the creator API (needs --creator-account; no data dir)"
    )
    parser.add_argument("--data-dir", type=Path, default=Path("store-data"), help="the store's data folder")
    parser.add_argument("--title", required=True)
    parser.add_argument("--creator", required=True)
    parser.add_argument("--kind", required=True, choices=[k.value for k in BundleKind])
    parser.add_argument("--gate", required=True, choices=[g.value for g in GateType])
    parser.add_argument("--price", help="price in dollars (paid, campaign) or the minimum (pwyw), e.g. 9.95")
    parser.add_argument("--currency", default="USD")
    parser.add_argument(
        "--lock", action="extend", nargs="+", default=[], metavar="GLOB", help="files to encrypt, e.g. 'episodes/*'"
    )
    parser.add_argument("--description", default="")
    parser.add_argument("--summary", default="")
    parser.add_argument("--cover", type=Path, help="a PNG cover image")
    parser.add_argument("--goal-backers", type=int, help="campaign: backers needed")
    parser.add_argument("--goal-amount", help="campaign: amount needed, in dollars")
    parser.add_argument("--deadline-days", type=float, default=30.0, help="campaign: days until it closes")
    parser.add_argument("--piece-size", type=int, default=MEDIA_PIECE_SIZE)
    parser.add_argument(
        "--creator-account",
        metavar="EMAIL",
        help="the creator's store account (must exist): it sees this bundle's sales report and subscribers",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m storefront publish``: prints the new bundle's id; exit 2 with a message on bad input."""
    args = _parser().parse_args(argv)
    try:
        gate = gate_from_args(args.gate, args.price, args.currency)
        campaign = None
        if gate.type is GateType.CAMPAIGN:
            if args.goal_backers is None and args.goal_amount is None:
                raise PublishError("a campaign needs --goal-backers and/or --goal-amount")
            campaign = CampaignSpec(
                deadline=dt.datetime.now(dt.UTC) + dt.timedelta(days=args.deadline_days),
                goal_backers=args.goal_backers,
                goal_cents=parse_cents(args.goal_amount) if args.goal_amount else None,
            )
        if args.store:
            bundle_id = _publish_through_api(args, gate, campaign)
            print(bundle_id)
            return 0
        config = StoreConfig.from_env(args.data_dir)
        bundle_id = publish_bundle(
            config,
            args.source,
            title=args.title,
            creator=args.creator,
            kind=BundleKind(args.kind),
            gate=gate,
            lock_globs=args.lock,
            description=args.description,
            summary=args.summary,
            cover=args.cover,
            campaign=campaign,
            piece_size=args.piece_size,
            creator_account=args.creator_account,
        )
    except StoreError as exc:
        print(f"publish failed: {exc.message}", file=sys.stderr)
        return 2
    print(bundle_id)
    return 0


def _publish_through_api(args: argparse.Namespace, gate: Gate, campaign: CampaignSpec | None) -> str:
    from storefront.publish_remote import password_from_env, publish_remote  # imports this module: load late

    if not args.creator_account:
        raise PublishError("--store needs --creator-account (the creator's e-mail address)")
    campaign_body = None
    if campaign is not None:
        campaign_body = {
            "deadline_days": args.deadline_days,
            "goal_backers": campaign.goal_backers,
            "goal_cents": campaign.goal_cents,
        }
    return publish_remote(
        args.store,
        args.source,
        email=args.creator_account,
        password=password_from_env(),
        creator=args.creator,
        title=args.title,
        kind=args.kind,
        gate=gate,
        lock_globs=args.lock,
        description=args.description,
        summary=args.summary,
        cover=args.cover,
        campaign=campaign_body,
        piece_size=args.piece_size,
    )
