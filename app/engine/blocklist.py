"""IP blocklists in the two formats qBittorrent and most lists use, read into address ranges for libtorrent.

* eMule ``.dat`` / ipfilter: ``first - last , access , description`` per line; an access level below 128 blocks
  (``001.002.003.000 - 001.002.003.255 , 000 , Some range``).
* P2P / PeerGuardian text: ``description:first-last`` per line (the description may itself contain colons).

``read_blocklist(path)`` parses a whole file (capped at ``MAX_BLOCKLIST_BYTES``) into a ``Blocklist``: the ranges and
how many lines were skipped as unreadable; a file with no usable line at all raises ``BlocklistError`` with a
sentence, and so does a file that cannot be read. Comments (``#``, ``//``) and blank lines are ignored; IPv4 and IPv6
are both accepted (leading zeros in IPv4 parts, as eMule writes them, too). ``ip_filter_of`` builds libtorrent's
filter. Pure functions, any thread; reading a large list takes a moment — callers use a worker.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

import libtorrent as lt

from app.engine.errors import EngineError

MAX_BLOCKLIST_BYTES = 64 * 1024 * 1024
_EMULE_BLOCK_BELOW = 128


class BlocklistError(EngineError):
    """A blocklist file that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Blocklist:
    ranges: tuple[tuple[str, str], ...]  # (first, last) addresses, inclusive
    skipped_lines: int


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    text = text.strip()
    if "." in text and ":" not in text:
        text = ".".join(str(int(part)) for part in text.split("."))  # eMule pads with zeros: 001.002.003.004
    return ipaddress.ip_address(text)


def parse_line(line: str) -> tuple[str, str] | None:
    """One line of either format → (first, last); None for a comment, a blank or an allowed eMule range.
    Raises ValueError for a line that is neither format."""
    line = line.strip()
    if not line or line.startswith(("#", "//")):
        return None
    if "," in line and " - " in line.split(",", 1)[0]:  # eMule: first - last , access , description
        span, access, *_ = [part.strip() for part in line.split(",")]
        if int(access) >= _EMULE_BLOCK_BELOW:
            return None
        first_text, last_text = span.split(" - ", 1)
    else:  # P2P: description:first-last (IPv4 only in this format)
        _, span = line.rsplit(":", 1)
        first_text, last_text = span.split("-", 1)
    first, last = _address(first_text), _address(last_text)
    if first.version != last.version or first > last:  # type: ignore[operator]
        raise ValueError(f"This line is not a range of addresses: {line}")
    return str(first), str(last)


def parse_blocklist(text: str) -> Blocklist:
    ranges: list[tuple[str, str]] = []
    skipped = 0
    for line in text.splitlines():
        try:
            parsed = parse_line(line)
        except (ValueError, IndexError):
            skipped += 1
            continue
        if parsed is not None:
            ranges.append(parsed)
    if not ranges:
        raise BlocklistError(
            "This file holds no address ranges Bundlecast can read; use an eMule .dat or a P2P (PeerGuardian) list."
        )
    return Blocklist(tuple(ranges), skipped)


def read_blocklist(path: Path) -> Blocklist:
    """Parse a blocklist file (raises ``BlocklistError`` with a sentence)."""
    try:
        size = path.stat().st_size
        if size > MAX_BLOCKLIST_BYTES:
            raise BlocklistError(
                f"The blocklist is too large ({size:,} bytes; at most {MAX_BLOCKLIST_BYTES:,} are read)."
            )
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise BlocklistError(f"Cannot read the blocklist {path}: {exc.strerror or exc}.") from exc
    return parse_blocklist(text)


def ip_filter_of(blocklist: Blocklist | None) -> lt.ip_filter:
    """libtorrent's filter: every listed range blocked, everything else allowed."""
    ip_filter = lt.ip_filter()
    for first, last in blocklist.ranges if blocklist is not None else ():
        ip_filter.add_rule(first, last, 1)
    return ip_filter
