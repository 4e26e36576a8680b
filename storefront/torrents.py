"""Torrent files for the store's bundles: hybrid (v1+v2) creation, bencoding, and serve-time URL rewriting.

`create_bundle_torrent` hashes a bundle's content folder with libtorrent (the only libtorrent user in the store
besides tests). `rewrite_torrent_urls` swaps the tracker and web-seed URLs, which sit outside the info dict, so
the embedded demo store can serve the same torrent from whatever port it got this launch without changing the
info-hash: the info dict's bytes are copied verbatim, never re-encoded. `magnet_uri` builds the matching magnet.

Everything here is pure and thread-agnostic; torrent creation reads the whole content folder, so callers run it
on a worker (the publish CLI runs it on its main thread).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import libtorrent as lt

from storefront.errors import StoreError

Bencodable = int | bytes | str | list["Bencodable"] | dict[bytes, "Bencodable"] | dict[str, "Bencodable"]

MEDIA_PIECE_SIZE = 256 * 1024  # FIELD-NOTES: 256-512 KiB pieces start a stream fastest
CREATOR = "Bundlecast store"


class TorrentError(StoreError):
    """A torrent could not be made or read; the message says which file or field is wrong."""

    code = "bad_torrent"
    status = 400


# --- bencoding (BEP 3) --------------------------------------------------------------------------------------


def bencode(value: object) -> bytes:
    """Encode ints, bytes/str, lists and dicts (keys sorted as raw bytes, as BEP 3 requires)."""
    out: list[bytes] = []
    _encode_into(value, out)
    return b"".join(out)


def _encode_into(value: object, out: list[bytes]) -> None:
    if isinstance(value, bool):
        raise TorrentError("booleans have no bencoding; use 0 or 1")
    if isinstance(value, int):
        out.append(b"i%de" % value)
    elif isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        out.append(b"%d:%s" % (len(raw), raw))
    elif isinstance(value, str):
        _encode_into(value.encode(), out)
    elif isinstance(value, list | tuple):
        out.append(b"l")
        for item in value:
            _encode_into(item, out)
        out.append(b"e")
    elif isinstance(value, dict):
        items = sorted(((k.encode() if isinstance(k, str) else bytes(k)), v) for k, v in value.items())
        out.append(b"d")
        for key, item in items:
            _encode_into(key, out)
            _encode_into(item, out)
        out.append(b"e")
    else:
        raise TorrentError(f"cannot bencode a {type(value).__name__}")


def bdecode(data: bytes) -> object:
    """Decode one bencoded value that spans all of ``data``; strings stay bytes, dict keys are bytes."""
    value, end = _decode_at(data, 0)
    if end != len(data):
        raise TorrentError(f"trailing bytes after the bencoded value (at offset {end})")
    return value


def _decode_at(data: bytes, pos: int) -> tuple[object, int]:
    if pos >= len(data):
        raise TorrentError("bencoded data ends early")
    lead = data[pos : pos + 1]
    if lead == b"i":
        end = data.find(b"e", pos)
        if end < 0:
            raise TorrentError("unterminated integer")
        try:
            return int(data[pos + 1 : end]), end + 1
        except ValueError as exc:
            raise TorrentError(f"bad integer at offset {pos}") from exc
    if lead == b"l":
        items: list[object] = []
        pos += 1
        while data[pos : pos + 1] != b"e":
            item, pos = _decode_at(data, pos)
            items.append(item)
        return items, pos + 1
    if lead == b"d":
        table: dict[bytes, object] = {}
        pos += 1
        while data[pos : pos + 1] != b"e":
            key, pos = _decode_at(data, pos)
            if not isinstance(key, bytes):
                raise TorrentError("dictionary key is not a string")
            table[key], pos = _decode_at(data, pos)
        return table, pos + 1
    if lead.isdigit():
        colon = data.find(b":", pos)
        if colon < 0:
            raise TorrentError("unterminated string length")
        length = int(data[pos:colon])
        start = colon + 1
        if start + length > len(data):
            raise TorrentError("string runs past the end of the data")
        return data[start : start + length], start + length
    raise TorrentError(f"unexpected byte {lead!r} at offset {pos}")


def _top_level_raw(data: bytes) -> dict[bytes, bytes]:
    """The top-level dict of a .torrent with each value kept as its exact encoded bytes."""
    if data[:1] != b"d":
        raise TorrentError("a .torrent must be a bencoded dictionary")
    raw: dict[bytes, bytes] = {}
    pos = 1
    while data[pos : pos + 1] != b"e":
        key, pos = _decode_at(data, pos)
        if not isinstance(key, bytes):
            raise TorrentError("dictionary key is not a string")
        _, end = _decode_at(data, pos)
        raw[key] = data[pos:end]
        pos = end
    if pos + 1 != len(data):
        raise TorrentError("trailing bytes after the .torrent dictionary")
    return raw


# --- creation ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatedTorrent:
    """A freshly made hybrid torrent: its bytes and both info-hashes (hex; v2 is the full SHA-256)."""

    data: bytes
    info_hash_v1: str
    info_hash_v2: str
    name: str
    piece_size: int
    num_pieces: int


def create_bundle_torrent(
    top_dir: Path,
    *,
    tracker_url: str | None,
    web_seed_url: str | None,
    piece_size: int = MEDIA_PIECE_SIZE,
    comment: str = "",
    progress: Callable[[int], None] | None = None,
) -> CreatedTorrent:
    """Hash every file under ``top_dir`` into a hybrid v1+v2 torrent named after that folder.

    The torrent is always multi-file (even for one file), so a web seed URL names the folder that holds
    ``top_dir`` and libtorrent appends ``<name>/<path>`` itself (BEP 19).
    """
    if not top_dir.is_dir():
        raise TorrentError(f"{top_dir} is not a folder")
    # lt.list_files + create_torrent(list) is the non-deprecated way (add_files/file_storage are deprecated).
    entries = lt.list_files(str(top_dir))
    if not entries:
        raise TorrentError(f"{top_dir} holds no files to publish")
    maker = lt.create_torrent(entries, piece_size)  # flags 0 = hybrid v1+v2 by default
    if progress is None:
        lt.set_piece_hashes(maker, str(top_dir.parent))
    else:
        lt.set_piece_hashes(maker, str(top_dir.parent), progress)
    maker.set_creator(CREATOR)
    if comment:
        maker.set_comment(comment)
    if tracker_url:
        maker.add_tracker(tracker_url)
    if web_seed_url:
        maker.add_url_seed(web_seed_url)
    # generate_buf() returns garbage in the 2.1.1 Python bindings; bencode the generated dict instead.
    data = bytes(lt.bencode(maker.generate()))
    v1, v2 = info_hashes(data)
    return CreatedTorrent(data, v1, v2, top_dir.name, maker.piece_length(), maker.num_pieces())


def info_hashes(data: bytes) -> tuple[str, str]:
    """(v1 SHA-1 hex, v2 SHA-256 hex) of a .torrent's info dict, hashed over its exact bytes."""
    info = _top_level_raw(data).get(b"info")
    if info is None:
        raise TorrentError("the .torrent has no info dictionary")
    return hashlib.sha1(info).hexdigest(), hashlib.sha256(info).hexdigest()  # noqa: S324 - BEP 3 mandates SHA-1


def rewrite_torrent_urls(data: bytes, *, tracker_url: str | None, web_seed_url: str | None) -> bytes:
    """The same torrent announcing ``tracker_url`` and web-seeding from ``web_seed_url``; info-hash unchanged.

    Any previous announce, announce-list and url-list are dropped; ``None`` leaves that field out.
    """
    raw = _top_level_raw(data)
    for key in (b"announce", b"announce-list", b"url-list"):
        raw.pop(key, None)
    if tracker_url:
        raw[b"announce"] = bencode(tracker_url)
        raw[b"announce-list"] = bencode([[tracker_url]])
    if web_seed_url:
        raw[b"url-list"] = bencode([web_seed_url])
    body = b"".join(bencode(key) + raw[key] for key in sorted(raw))
    return b"d" + body + b"e"


def magnet_uri(
    *, info_hash_v1: str, info_hash_v2: str, name: str, tracker_url: str | None, web_seed_url: str | None
) -> str:
    """A hybrid magnet: both info-hashes (v2 as a SHA-256 multihash), display name, tracker and web seed."""
    parts = [f"xt=urn:btih:{info_hash_v1}", f"xt=urn:btmh:1220{info_hash_v2}", f"dn={quote(name, safe='')}"]
    if tracker_url:
        parts.append(f"tr={quote(tracker_url, safe='')}")
    if web_seed_url:
        parts.append(f"ws={quote(web_seed_url, safe='')}")
    return "magnet:?" + "&".join(parts)
