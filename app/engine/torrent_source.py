"""Turns untrusted input (a .torrent file, its bytes, a magnet URI) into libtorrent add parameters.

Everything here runs on the caller's thread and never touches the session. Sizes are checked before any
parsing (an oversized file is refused unread), bencode is decoded with libtorrent's limits (depth, tokens,
pieces), and a magnet's ``dn`` is sanitized before libtorrent ever sees it as a name: libtorrent's own
``parse_magnet_uri`` keeps ``dn=..%2F..%2Fevil`` as ``../../evil`` (FIELD-NOTES).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import libtorrent as lt

from app.engine.errors import InvalidMagnetError, InvalidTorrentError, StorageError

# A real .torrent is rarely above a few MiB (a 1 TiB torrent with 4 MiB pieces carries 5 MiB of hashes).
log = logging.getLogger(__name__)

MAX_TORRENT_BYTES = 10_000_000
_LIMITS: Any = {
    "max_buffer_size": MAX_TORRENT_BYTES,
    "max_decode_depth": 100,  # a bencode "bomb" nests lists thousands deep
    "max_decode_tokens": 3_000_000,
    "max_pieces": 0x200000,
}
MAX_MAGNET_CHARS = 65_536
_HEX40 = re.compile(r"^[0-9a-fA-F]{40}$")
_B32 = re.compile(r"^[A-Za-z2-7]{32}$")
_HEX_MULTIHASH = re.compile(r"^1220[0-9a-fA-F]{64}$")


def torrent_id_of(hashes: lt.info_hash_t) -> str:
    """Our id for a torrent: the v1 hash when there is one, else the v2 hash truncated to 20 bytes."""
    if hashes.has_v1():
        return str(hashes.v1)
    return str(hashes.get_best())


def params_from_file(path: Path) -> lt.add_torrent_params:
    """Add parameters from a .torrent file; refuses oversized files before reading them."""
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise InvalidTorrentError(f"Bundlecast can't find the file “{path.name}”.") from exc
    except OSError as exc:
        raise StorageError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if size > MAX_TORRENT_BYTES:
        raise InvalidTorrentError(
            f"The .torrent file is too large ({size:,} bytes; at most {MAX_TORRENT_BYTES:,} are accepted)."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StorageError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    return params_from_bytes(data)


def params_from_bytes(data: bytes) -> lt.add_torrent_params:
    """Add parameters from the bytes of a .torrent; the error says why they cannot be used."""
    if len(data) > MAX_TORRENT_BYTES:
        raise InvalidTorrentError(
            f"The .torrent data is too large ({len(data):,} bytes; at most {MAX_TORRENT_BYTES:,} are accepted)."
        )
    if not data:
        raise InvalidTorrentError("The .torrent file is empty.")
    if data[:1] != b"d":
        raise InvalidTorrentError("This is not a .torrent file. Choose the .torrent file the download page offered.")
    try:
        info = lt.torrent_info(data, _LIMITS)
    except RuntimeError as exc:
        log.info("unreadable .torrent: %s", exc)
        raise InvalidTorrentError("The .torrent file is damaged or incomplete. Download it again.") from exc
    if info.num_files() == 0 or info.total_size() < 0:
        raise InvalidTorrentError("The .torrent file lists no files.")
    params = lt.add_torrent_params()
    params.ti = info
    return params


def params_from_magnet(uri: str) -> lt.add_torrent_params:
    """Add parameters from a magnet URI, with its display name made safe (or dropped)."""
    if not isinstance(uri, str) or not uri.startswith("magnet:?"):
        raise InvalidMagnetError("That is not a magnet link. A magnet link starts with “magnet:?”.")
    if len(uri) > MAX_MAGNET_CHARS:
        raise InvalidMagnetError("The magnet link is too long.")
    if not any(_valid_exact_topic(value) for value in _query_values(uri, "xt")):
        raise InvalidMagnetError(
            "This magnet link is cut short: the code that names the download is missing or incomplete. "
            "Copy the whole link again."
        )
    try:
        params = lt.parse_magnet_uri(uri)
    except RuntimeError as exc:
        log.info("unreadable magnet link: %s", exc)
        raise InvalidMagnetError("This magnet link cannot be read. Copy the whole link again.") from exc
    hashes = params.info_hashes
    if not hashes.has_v1() and not hashes.has_v2():
        raise InvalidMagnetError("This magnet link does not say which download it is. Copy the whole link again.")
    params.name = safe_display_name(params.name)
    return params


def safe_display_name(name: str) -> str:
    """A name that cannot be a path: separators and parent references removed, length bounded."""
    cleaned = name.replace("\\", "/").split("/")
    parts = [p for p in cleaned if p not in ("", ".", "..")]
    joined = " ".join(parts).replace("\x00", "").strip().lstrip(".")
    return joined[:200]


def _query_values(uri: str, key: str) -> list[str]:
    from urllib.parse import parse_qsl

    query = uri[len("magnet:?") :]
    return [value for k, value in parse_qsl(query, keep_blank_values=True) if k.split(".")[0] == key]


def _valid_exact_topic(value: str) -> bool:
    if value.startswith("urn:btih:"):
        digest = value[len("urn:btih:") :]
        return bool(_HEX40.match(digest) or _B32.match(digest))
    if value.startswith("urn:btmh:"):
        return bool(_HEX_MULTIHASH.match(value[len("urn:btmh:") :]))
    return False
