"""An external BitTorrent tracker (opentracker, or any BEP 48 scrape) in place of the built-in one.

With ``BUNDLECAST_TRACKER_URL`` set, every .torrent and magnet the store serves announces there, so the swarm no
longer lives in one store process's memory (with several workers, each built-in tracker would see only the peers
that happened to announce to it). The store's swarm figures are then read from the tracker's scrape: the v1 hash
and the truncated v2 hash of a hybrid torrent are scraped together and the larger figures win (a v2-capable client
announces under both). Answers are cached for ``ttl_s`` so a busy catalog does not hammer the tracker; a tracker
that does not answer reads as an empty swarm. Blocking (urllib, short timeout); called from worker threads.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.request
from urllib.parse import quote_from_bytes

from storefront.torrents import bdecode
from storefront.tracker import SwarmHealth

log = logging.getLogger(__name__)


def scrape_url(announce_url: str) -> str:
    """BEP 48: the scrape address is the announce address with its last ``announce`` replaced."""
    head, sep, tail = announce_url.rpartition("/announce")
    if not sep:
        raise ValueError(f"{announce_url} is not an announce URL (no '/announce'); its scrape cannot be derived")
    return f"{head}/scrape{tail}"


class ExternalTracker:
    def __init__(self, announce_url: str, *, ttl_s: float = 5.0, timeout_s: float = 2.0) -> None:
        self.announce_url = announce_url
        self._scrape = scrape_url(announce_url)
        self._ttl_s = ttl_s
        self._timeout_s = timeout_s
        self._cache: dict[str, tuple[float, SwarmHealth]] = {}
        self._lock = threading.Lock()

    def register(self, info_hash_v1: str | None, info_hash_v2: str | None = None) -> None:
        """Nothing to do: an external tracker takes any hash its clients announce."""

    def health(self, info_hash_hex: str, info_hash_v2_hex: str = "") -> SwarmHealth:
        key = f"{info_hash_hex}:{info_hash_v2_hex}"
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < self._ttl_s:
            return cached[1]
        hashes = [bytes.fromhex(h)[:20] for h in (info_hash_hex, info_hash_v2_hex) if h]
        figures = self._scrape_hashes(hashes)
        best = max(figures, key=lambda h: (h.seeders + h.leechers, h.completed), default=SwarmHealth(0, 0, 0))
        with self._lock:
            self._cache[key] = (time.monotonic(), best)
        return best

    def _scrape_hashes(self, hashes: list[bytes]) -> list[SwarmHealth]:
        query = "&".join(f"info_hash={quote_from_bytes(h)}" for h in hashes)
        url = f"{self._scrape}{'&' if '?' in self._scrape else '?'}{query}"
        try:
            with urllib.request.urlopen(url, timeout=self._timeout_s) as answer:  # noqa: S310 (configured URL)
                decoded = bdecode(answer.read())
        except (OSError, ValueError) as exc:
            log.warning("the tracker's scrape did not answer (%s); showing an empty swarm", type(exc).__name__)
            return []
        files = decoded.get(b"files", {}) if isinstance(decoded, dict) else {}
        out = []
        for h in hashes:
            entry = files.get(h) if isinstance(files, dict) else None
            if isinstance(entry, dict):
                out.append(
                    SwarmHealth(
                        int(entry.get(b"complete", 0)),
                        int(entry.get(b"incomplete", 0)),
                        int(entry.get(b"downloaded", 0)),
                    )
                )
        return out
