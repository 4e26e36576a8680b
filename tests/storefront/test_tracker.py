"""The store's tracker: swarm bookkeeping (unit, fake clock) and BEP 3/23/48 answers over real HTTP."""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import struct
from collections.abc import Iterator
from urllib.parse import quote_from_bytes

import httpx
import pytest
from fastapi import FastAPI

from storefront.torrents import bdecode
from storefront.tracker import Announce, SwarmRegistry, TrackerRequestError, _peer_lists, parse_announce, router
from tests.support.live_server import serve_in_thread
from tests.support.net import loopback_address

V1 = hashlib.sha1(b"bundle one").hexdigest()
V2 = hashlib.sha256(b"bundle one").hexdigest()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _ann(
    peer: bytes, *, left: int = 100, event: str = "", info_hash: str = V1, ip: str = "127.0.0.2", port: int = 6881
) -> Announce:
    return Announce(
        info_hash=bytes.fromhex(info_hash)[:20],
        peer_id=peer.ljust(20, b"-"),
        ip=ip,
        port=port,
        left=left,
        event=event,
        numwant=50,
        compact=True,
        no_peer_id=False,
    )


def test_v1_and_truncated_v2_hashes_are_one_swarm_and_a_peer_counts_once() -> None:
    registry = SwarmRegistry()
    registry.register(V1, V2)
    registry.announce(_ann(b"a", info_hash=V1, left=0))
    registry.announce(_ann(b"a", info_hash=V2, left=0))  # a hybrid client announces under both hashes
    _, peers = registry.announce(_ann(b"b", info_hash=V2, ip="127.0.0.3"))
    assert [(ip, port) for _, ip, port in peers] == [("127.0.0.2", 6881)]
    assert registry.health(V1) == registry.health(V2) == registry.health(V2[:40])
    health = registry.health(V1)
    assert (health.seeders, health.leechers) == (1, 1)


def test_unknown_torrent_is_refused_and_resolver_is_asked_once_known() -> None:
    asked: list[bytes] = []

    def resolve(info_hash: bytes) -> tuple[str, str] | None:
        asked.append(info_hash)
        return (V1, V2) if info_hash == bytes.fromhex(V2)[:20] else None

    registry = SwarmRegistry(resolve)
    with pytest.raises(TrackerRequestError, match="unregistered torrent"):
        registry.announce(_ann(b"a", info_hash=hashlib.sha1(b"not ours").hexdigest()))
    registry.announce(_ann(b"a", info_hash=V2))
    registry.announce(_ann(b"b", info_hash=V1))  # registered through the v2 look-up: no new question
    assert len(asked) == 2
    assert registry.health(V1).leechers == 2


def test_silent_peers_expire_and_stopped_peers_leave() -> None:
    clock = Clock()
    registry = SwarmRegistry(clock=clock, peer_ttl=60)
    registry.register(V1, V2)
    registry.announce(_ann(b"a"))
    registry.announce(_ann(b"b"))
    registry.announce(_ann(b"b", event="stopped"))
    assert registry.health(V1).leechers == 1
    clock.now += 61
    assert registry.health(V1).leechers == 0


def test_completed_counts_each_download_once() -> None:
    registry = SwarmRegistry()
    registry.register(V1, V2)
    registry.announce(_ann(b"a", event="started"))
    registry.announce(_ann(b"a", event="completed", left=0))
    registry.announce(_ann(b"a", event="completed", left=0))  # a repeated event is not a second download
    registry.announce(_ann(b"s", event="completed", left=0))  # a seeder that never leeched here
    health = registry.health(V1)
    assert (health.seeders, health.leechers, health.completed) == (2, 0, 2)


def test_seeders_are_not_given_other_seeders() -> None:
    registry = SwarmRegistry()
    registry.register(V1, V2)
    registry.announce(_ann(b"s1", left=0, port=1))
    registry.announce(_ann(b"l1", left=5, port=2))
    _, peers = registry.announce(_ann(b"s2", left=0, port=3))
    assert [port for _, _, port in peers] == [2]


def test_a_flood_of_peer_ids_keeps_the_swarm_bounded_and_evicts_the_stalest() -> None:
    registry = SwarmRegistry(max_peers=3)
    registry.register(V1, V2)
    for name in (b"a", b"b", b"c", b"d"):
        registry.announce(_ann(name, port=ord(name)))
    registry.announce(_ann(b"b", port=ord("b")))  # b announced again: now the freshest
    _, peers = registry.announce(_ann(b"e", port=ord("e")))
    assert sorted(port for _, _, port in peers) == [ord("b"), ord("d")]
    assert registry.health(V1).leechers == 3


def test_numwant_gives_a_random_share_of_the_others() -> None:
    registry = SwarmRegistry()
    registry.register(V1, V2)
    for port in range(1, 11):
        registry.announce(_ann(bytes([port]), port=port))
    seen: set[int] = set()
    for _ in range(30):
        _, peers = registry.announce(dataclasses.replace(_ann(b"me", port=999), numwant=3))
        assert len(peers) == 3 and all(port != 999 for _, _, port in peers)
        seen.update(port for _, _, port in peers)
    assert len(seen) > 3  # not always the same three


def test_compact_answers_put_ipv6_peers_in_peers6() -> None:
    ann = parse_announce(
        {"info_hash": [bytes.fromhex(V1)], "peer_id": [b"p" * 20], "port": [b"6881"], "left": [b"0"]},
        client_ip="127.0.0.9",
    )
    answer = _peer_lists(ann, [(b"a" * 20, "127.0.0.2", 1), (b"b" * 20, "::1", 2)])
    assert answer == {"peers": bytes([127, 0, 0, 2, 0, 1]), "peers6": bytes(15) + b"\x01" + b"\x00\x02"}


# --- over HTTP ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tracker() -> Iterator[tuple[str, SwarmRegistry]]:
    registry = SwarmRegistry()
    registry.register(V1, V2)
    app = FastAPI()
    app.include_router(router)
    app.state.swarm = registry
    with serve_in_thread(app, loopback_address()) as url:
        yield url, registry


def _get(base: str, path: str, query: str, *, source: str) -> dict[bytes, object]:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=10) as client:
        response = client.get(f"{base}{path}?{query}")
    assert response.status_code == 200
    decoded = bdecode(response.content)
    assert isinstance(decoded, dict)
    return decoded


def _announce_query(info_hash: bytes, peer_id: bytes, port: int, left: int, extra: str = "") -> str:
    return (
        f"info_hash={quote_from_bytes(info_hash)}&peer_id={quote_from_bytes(peer_id)}&port={port}"
        f"&uploaded=0&downloaded=0&left={left}{extra}"
    )


def test_announce_answers_compact_peers_with_the_callers_real_address(tracker: tuple[str, SwarmRegistry]) -> None:
    base, registry = tracker
    seeder_ip, leecher_ip = loopback_address(), loopback_address()
    raw_hash = bytes.fromhex(V1)
    # Peer ids and hashes with bytes that are not valid UTF-8, as real clients send them.
    seeder_id, leecher_id = b"\xff\xfe-seed-" + bytes(range(12)), b"\x80-leech-" + bytes(range(12))
    first = _get(base, "/announce", _announce_query(raw_hash, seeder_id, 51413, 0, "&event=started"), source=seeder_ip)
    assert first[b"peers"] == b""
    answer = _get(base, "/announce", _announce_query(raw_hash, leecher_id, 6000, 999, "&compact=1"), source=leecher_ip)
    assert answer[b"interval"] > 0
    assert (answer[b"complete"], answer[b"incomplete"]) == (1, 1)
    peers = answer[b"peers"]
    assert isinstance(peers, bytes) and len(peers) == 6
    ip, port = ipaddress.ip_address(peers[:4]), struct.unpack(">H", peers[4:])[0]
    assert (str(ip), port) == (seeder_ip, 51413)
    assert registry.health(V1).seeders == 1


def test_announce_without_compact_lists_dicts_with_peer_ids(tracker: tuple[str, SwarmRegistry]) -> None:
    base, _ = tracker
    v2_hash = bytes.fromhex(V2)[:20]
    other_ip = loopback_address()
    _get(base, "/announce", _announce_query(v2_hash, b"A" * 20, 7001, 10), source=other_ip)
    answer = _get(
        base, "/announce", _announce_query(v2_hash, b"B" * 20, 7002, 10, "&compact=0"), source=loopback_address()
    )
    peers = answer[b"peers"]
    assert isinstance(peers, list)
    assert {b"ip": other_ip.encode(), b"port": 7001, b"peer id": b"A" * 20} in peers


def test_scrape_reports_figures_per_requested_hash(tracker: tuple[str, SwarmRegistry]) -> None:
    base, registry = tracker
    raw_hash = bytes.fromhex(V1)
    unknown = hashlib.sha1(b"someone else's").digest()
    answer = _get(
        base,
        "/scrape",
        f"info_hash={quote_from_bytes(raw_hash)}&info_hash={quote_from_bytes(unknown)}",
        source=loopback_address(),
    )
    files = answer[b"files"]
    assert isinstance(files, dict)
    assert set(files) == {raw_hash}
    health = registry.health(V1)
    assert files[raw_hash] == {
        b"complete": health.seeders,
        b"incomplete": health.leechers,
        b"downloaded": health.completed,
    }


@pytest.mark.parametrize(
    ("path", "query", "reason"),
    [
        ("/announce", "peer_id=" + "a" * 20 + "&port=1", b"info_hash must be 20 bytes"),
        ("/announce", _announce_query(b"x" * 19, b"p" * 20, 1, 0), b"info_hash must be 20 bytes"),
        ("/announce", _announce_query(bytes.fromhex(V1), b"p" * 5, 1, 0), b"peer_id must be 20 bytes"),
        ("/announce", _announce_query(bytes.fromhex(V1), b"p" * 20, 0, 0), b"port must be between 1 and 65535"),
        ("/announce", _announce_query(bytes.fromhex(V1), b"p" * 20, 80, -1), b"left must not be negative"),
        ("/announce", _announce_query(bytes.fromhex(V1), b"p" * 20, 80, 0, "&event=exploded"), b"unknown event"),
        ("/announce", _announce_query(hashlib.sha1(b"?").digest(), b"p" * 20, 80, 0), b"unregistered torrent"),
        ("/announce", f"info_hash={quote_from_bytes(bytes.fromhex(V1))}&peer_id={'p' * 20}&port=80", b"missing left"),
        ("/scrape", "", b"name at least one info_hash"),
    ],
)
def test_bad_requests_get_a_bencoded_failure_reason_and_change_nothing(
    tracker: tuple[str, SwarmRegistry], path: str, query: str, reason: bytes
) -> None:
    base, registry = tracker
    before = registry.health(V1)
    answer = _get(base, path, query, source=loopback_address())
    failure = answer[b"failure reason"]
    assert isinstance(failure, bytes) and reason in failure
    assert registry.health(V1) == before
