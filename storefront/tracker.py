"""The store's BitTorrent tracker: HTTP announce and scrape (BEP 3, BEP 23 compact peers, BEP 48 scrape).

It tracks only the store's own bundles. A hybrid torrent announces twice - under its v1 SHA-1 info-hash and its
v2 SHA-256 info-hash truncated to 20 bytes - so both keys lead to one `Swarm`, and a peer is counted once by its
peer id. Peers live in memory (one node; opentracker takes over at scale) and expire when they stop announcing.
`SwarmRegistry.health()` feeds the swarm figures of the bundle page; the app factory puts the registry on
``app.state.swarm`` and includes ``router``.

Handlers are ``async`` and run on the event loop; `health()` is also called from the API's worker threads, so
the registry guards its tables with a lock and never blocks inside it.
"""

from __future__ import annotations

import ipaddress
import secrets
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from fastapi import APIRouter, Request
from fastapi.responses import Response

from storefront.errors import StoreError
from storefront.torrents import bencode

ANNOUNCE_INTERVAL_S = 300  # a small store: frequent announces keep the swarm figures fresh
MIN_INTERVAL_S = 30
PEER_TTL_S = ANNOUNCE_INTERVAL_S * 2 + 60  # a peer that missed two announces is gone
DEFAULT_NUMWANT = 50
MAX_NUMWANT = 200
MAX_PEERS_PER_SWARM = 10_000

router = APIRouter(tags=["tracker"])


class TrackerRequestError(StoreError):
    """An announce or scrape the tracker refuses; the message goes back as the bencoded failure reason."""

    code = "bad_tracker_request"
    status = 400


@dataclass(frozen=True, slots=True)
class SwarmHealth:
    seeders: int
    leechers: int
    completed: int


@dataclass(slots=True)
class _Peer:
    ip: str
    port: int
    left: int
    last_seen: float


@dataclass(slots=True)
class Swarm:
    """One bundle's peers, keyed by peer id, and how many downloads completed."""

    peers: dict[bytes, _Peer] = field(default_factory=dict)
    completed: int = 0

    def expire(self, now: float, ttl: float) -> None:
        stale = [pid for pid, peer in self.peers.items() if now - peer.last_seen > ttl]
        for pid in stale:
            del self.peers[pid]

    def health(self) -> SwarmHealth:
        seeders = sum(1 for peer in self.peers.values() if peer.left == 0)
        return SwarmHealth(seeders, len(self.peers) - seeders, self.completed)


# Maps a 20-byte info-hash the registry does not know yet to its bundle's (v1 hex, v2 hex), or None.
HashResolver = Callable[[bytes], "tuple[str, str] | None"]


class SwarmRegistry:
    """The swarms of the store's bundles: announce, scrape and health figures."""

    def __init__(
        self,
        resolve: HashResolver | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        peer_ttl: float = PEER_TTL_S,
        max_peers: int = MAX_PEERS_PER_SWARM,
    ) -> None:
        self._resolve = resolve
        self._clock = clock
        self._peer_ttl = peer_ttl
        self._max_peers = max_peers
        self._pick = secrets.SystemRandom()
        self._lock = threading.Lock()
        self._swarms: dict[bytes, Swarm] = {}  # v1 hash and truncated v2 hash -> the same Swarm

    def register(self, info_hash_v1: str | None, info_hash_v2: str | None = None) -> None:
        """Track a bundle's torrent under its v1 and (truncated) v2 info-hashes; idempotent."""
        keys = [bytes.fromhex(info_hash_v1)] if info_hash_v1 else []
        if info_hash_v2:
            keys.append(bytes.fromhex(info_hash_v2)[:20])
        with self._lock:
            swarm = next((self._swarms[k] for k in keys if k in self._swarms), None) or Swarm()
            for key in keys:
                self._swarms[key] = swarm

    def _swarm_for(self, info_hash: bytes) -> Swarm | None:
        with self._lock:
            swarm = self._swarms.get(info_hash)
        if swarm is None and self._resolve is not None:
            hashes = self._resolve(info_hash)  # e.g. a database look-up: outside the lock
            if hashes is not None:
                self.register(*hashes)
                with self._lock:
                    swarm = self._swarms.get(info_hash)
        return swarm

    def health(self, info_hash_hex: str) -> SwarmHealth:
        """Seeders, leechers and completed downloads; a v2 hash may be given whole (64 hex) or truncated."""
        try:
            key = bytes.fromhex(info_hash_hex)[:20]
        except ValueError:
            return SwarmHealth(0, 0, 0)
        swarm = self._swarm_for(key)
        if swarm is None:
            return SwarmHealth(0, 0, 0)
        with self._lock:
            swarm.expire(self._clock(), self._peer_ttl)
            return swarm.health()

    def announce(self, ann: Announce) -> tuple[SwarmHealth, list[tuple[bytes, str, int]]]:
        """Record one announce; returns the swarm's figures and up to numwant other peers (id, ip, port)."""
        swarm = self._swarm_for(ann.info_hash)
        if swarm is None:
            raise TrackerRequestError("unregistered torrent: this tracker serves only this store's bundles")
        now = self._clock()
        with self._lock:
            swarm.expire(now, self._peer_ttl)
            known = swarm.peers.get(ann.peer_id)
            if ann.event == "stopped":
                swarm.peers.pop(ann.peer_id, None)
            else:
                # Count a completion once per peer: a seeder re-announcing "completed" is not a new download.
                if ann.event == "completed" and (known is None or known.left > 0):
                    swarm.completed += 1
                swarm.peers.pop(ann.peer_id, None)  # re-insert: the dict stays ordered oldest first
                swarm.peers[ann.peer_id] = _Peer(ann.ip, ann.port, ann.left, now)
                while len(swarm.peers) > self._max_peers:  # a flood of made-up peer ids evicts the stalest
                    del swarm.peers[next(iter(swarm.peers))]
            others = [(pid, p.ip, p.port) for pid, p in swarm.peers.items() if pid != ann.peer_id]
            if ann.left == 0:  # seeders need leechers only
                others = [o for o in others if swarm.peers[o[0]].left > 0]
            if len(others) > ann.numwant:  # a random share, so load spreads over the swarm
                others = self._pick.sample(others, ann.numwant)
            return swarm.health(), others

    def scrape(self, info_hashes: list[bytes]) -> dict[bytes, SwarmHealth]:
        """Figures for each requested hash the store tracks (unknown hashes are left out)."""
        found: dict[bytes, SwarmHealth] = {}
        for info_hash in info_hashes:
            if self._swarm_for(info_hash) is not None:
                found[info_hash] = self.health(info_hash.hex())
        return found


@dataclass(frozen=True, slots=True)
class Announce:
    info_hash: bytes
    peer_id: bytes
    ip: str
    port: int
    left: int
    event: str
    numwant: int
    compact: bool
    no_peer_id: bool


def _query_bytes(request: Request) -> dict[str, list[bytes]]:
    # info_hash and peer_id are raw bytes percent-encoded: decoding the query as UTF-8 text would mangle them.
    params: dict[str, list[bytes]] = {}
    for pair in bytes(request.scope.get("query_string", b"")).split(b"&"):
        if not pair:
            continue
        name, _, value = pair.partition(b"=")
        key = unquote_to_bytes(name.replace(b"+", b" ")).decode("latin-1")
        params.setdefault(key, []).append(unquote_to_bytes(value.replace(b"+", b" ")))
    return params


def _int_param(params: dict[str, list[bytes]], name: str, default: int | None = None) -> int:
    values = params.get(name)
    if not values:
        if default is None:
            raise TrackerRequestError(f"missing {name}")
        return default
    try:
        number = int(values[0])
    except ValueError as exc:
        raise TrackerRequestError(f"{name} must be a whole number") from exc
    if number < 0:
        raise TrackerRequestError(f"{name} must not be negative")
    return number


def parse_announce(params: dict[str, list[bytes]], client_ip: str) -> Announce:
    """Validate an announce's parameters (BEP 3); raises TrackerRequestError with the reason."""
    info_hash = (params.get("info_hash") or [b""])[0]
    if len(info_hash) != 20:
        raise TrackerRequestError("info_hash must be 20 bytes")
    peer_id = (params.get("peer_id") or [b""])[0]
    if len(peer_id) != 20:
        raise TrackerRequestError("peer_id must be 20 bytes")
    port = _int_param(params, "port")
    if not 0 < port < 65536:
        raise TrackerRequestError("port must be between 1 and 65535")
    event = (params.get("event") or [b""])[0].decode("ascii", "replace")
    if event not in ("", "started", "completed", "stopped", "paused"):
        raise TrackerRequestError(f"unknown event {event!r}")
    return Announce(
        info_hash=info_hash,
        peer_id=peer_id,
        # The address the request came from; the client-supplied "ip" is ignored so nobody can point a
        # swarm at a third party.
        ip=client_ip,
        port=port,
        left=_int_param(params, "left"),  # required: a client that omits it must not count as a seeder
        event=event,
        numwant=min(_int_param(params, "numwant", DEFAULT_NUMWANT), MAX_NUMWANT),
        compact=(params.get("compact") or [b"1"])[0] != b"0",
        no_peer_id=(params.get("no_peer_id") or [b"0"])[0] == b"1",
    )


def _bencoded(value: object) -> Response:
    return Response(content=bencode(value), media_type="text/plain")


def _failure(reason: str) -> Response:
    # Trackers answer refusals with HTTP 200 and a bencoded "failure reason" that clients show to the user.
    return _bencoded({"failure reason": reason})


def _peer_lists(ann: Announce, peers: list[tuple[bytes, str, int]]) -> dict[str, object]:
    if not ann.compact:
        listed: list[object] = []
        for pid, ip, port in peers:
            entry: dict[str, object] = {"ip": ip, "port": port}
            if not ann.no_peer_id:
                entry["peer id"] = pid
            listed.append(entry)
        return {"peers": listed}
    v4, v6 = bytearray(), bytearray()
    for _pid, ip, port in peers:
        addr = ipaddress.ip_address(ip)
        (v4 if addr.version == 4 else v6).extend(addr.packed + struct.pack(">H", port))
    answer: dict[str, object] = {"peers": bytes(v4)}
    if v6:
        answer["peers6"] = bytes(v6)  # BEP 7
    return answer


def _registry(request: Request) -> SwarmRegistry:
    registry = getattr(request.app.state, "swarm", None)
    if not isinstance(registry, SwarmRegistry):
        raise TrackerRequestError("tracker is not configured on this store")
    return registry


@router.get("/announce", response_class=Response)
async def announce(request: Request) -> Response:
    """BEP 3 announce: records the peer, answers its swarm's peers (compact by default, BEP 23)."""
    try:
        client_ip = request.client.host if request.client else ""
        ann = parse_announce(_query_bytes(request), client_ip)
        health, peers = _registry(request).announce(ann)
    except TrackerRequestError as exc:
        return _failure(str(exc))
    answer: dict[str, object] = {
        "interval": ANNOUNCE_INTERVAL_S,
        "min interval": MIN_INTERVAL_S,
        "complete": health.seeders,
        "incomplete": health.leechers,
        "downloaded": health.completed,
    }
    answer.update(_peer_lists(ann, peers))
    return _bencoded(answer)


@router.get("/scrape", response_class=Response)
async def scrape(request: Request) -> Response:
    """BEP 48 scrape: figures for the requested info-hashes (each 20 bytes)."""
    try:
        hashes = _query_bytes(request).get("info_hash", [])
        if not hashes:
            raise TrackerRequestError("name at least one info_hash to scrape")
        if any(len(h) != 20 for h in hashes):
            raise TrackerRequestError("info_hash must be 20 bytes")
        figures = _registry(request).scrape(hashes)
    except TrackerRequestError as exc:
        return _failure(str(exc))
    files = {
        h: {"complete": f.seeders, "downloaded": f.completed, "incomplete": f.leechers} for h, f in figures.items()
    }
    return _bencoded({"files": files})
