"""API answers shaped like docs/CONTRACTS.md, for the scripted-server unit tests."""

from __future__ import annotations

from typing import Any

STORE_INFO: dict[str, Any] = {
    "store_id": "store-1",
    "name": "Demo Store",
    "public_key": "A" * 43 + "=",
    "demo": True,
    "test_cards": [{"number": "4242424242424242", "outcome": "succeeds"}],
    "fee_percent": 10,
}

PURCHASE: dict[str, Any] = {
    "purchase_id": "p-1",
    "bundle_id": "b-1",
    "amount_cents": 700,
    "currency": "USD",
    "license": "bcl1.payload.signature",
}

BUNDLE_DETAIL: dict[str, Any] = {
    "id": "series-1",
    "title": "The Long Signal",
    "creator": "Northlight",
    "kind": "series",
    "gate": {"type": "campaign", "price_cents": 995, "currency": "USD"},
    "cover_url": "/api/v1/bundles/series-1/cover",
    "summary": "Eight episodes, if 250,000 of us want it.",
    "total_size": 123456789,
    "description": "A longer text.",
    "files": [
        {
            "index": 0,
            "path": "pilot.mp4",
            "size": 1000,
            "media_type": "video/mp4",
            "duration_s": 120.5,
            "locked": False,
        },
        {"index": 1, "path": "ep2.mp4", "size": 2000, "media_type": "video/mp4", "locked": True, "bitrate": 2000000},
    ],
    "manifest": {"payload": "{}", "signature": "c2ln"},
    "torrent_url": "/api/v1/bundles/series-1/torrent",
    "magnet": "magnet:?xt=urn:btih:" + "0" * 40,
    "info_hash_v1": "0" * 40,
    "info_hash_v2": "1" * 64,
    "web_seed_url": "http://127.0.0.1:1/seed/series-1/",
    "tracker_url": "http://127.0.0.1:1/announce",
    "swarm": {"seeders": 3, "leechers": 1, "completed": 9},
    "campaign": {
        "id": "c-1",
        "bundle_id": "series-1",
        "goal_backers": 250000,
        "goal_cents": None,
        "price_cents": 995,
        "currency": "USD",
        "backers": 1234,
        "pledged_cents": 1234 * 995,
        "deadline": "2026-12-24T00:00:00",
        "seconds_left": 100000,
        "state": "open",
    },
    "releases": [
        {"id": "r0", "title": "Pilot", "released_at": 1700000000},
        {"id": "r1", "title": "Episode 2", "released_at": "2099-01-01T00:00:00Z"},
    ],
    "future_field": {"ignored": True},
}
