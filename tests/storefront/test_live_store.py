"""Live events on the store over real HTTP (the store as its own process): a creator announces a broadcast, it is
listed as upcoming, goes on the air, ends; its manifest is signed with the stream's key; a paid ticket bought
through the ordinary purchase opens the stream key; the tracker accepts the live swarm's announces; and every
refusal (a non-creator, another creator's bundle, a bad key, a start in the past or far ahead, a 10,000-character
title) is a clear error that lists nothing. The same through ``StoreClient``'s live verbs."""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import quote_from_bytes

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.bundle import BundleKind, SignedManifest, load_public_key, verify_license
from app.live.access import content_key_from_ticket, stream_content_key, trusted_stream
from app.live.blocks import swarm_info_hash
from app.store import StoreClient
from app.store.errors import Forbidden, InvalidInput
from app.store.live import LiveGate, LiveState, NewLiveEvent
from storefront.torrents import bdecode
from tests.storefront import creator_store
from tests.storefront.creator_store import new_creator
from tests.storefront.store_support import StoreProcess, auth
from tests.support.creator import bearer, new_account, signed_manifest

pytestmark = pytest.mark.timeout(120)
store, api = creator_store.store, creator_store.api  # the shared creator store (demo: the e-mail gate shows its code)

CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "cvc": "123"}


def stream_key_pair() -> tuple[Ed25519PrivateKey, str]:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return private, base64.b64encode(raw).decode("ascii")


def _event(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": f"Late set {uuid.uuid4().hex[:6]}",
        "description": "Two hours of ambient from the rooftop.",
        "starts_at": int(time.time()) + 3600,
        "gate": "free",
        "stream_public_key": stream_key_pair()[1],
        "origin_url": "http://127.0.0.9:8088/",
    }
    return body | changes


def _listed(api: httpx.Client) -> dict[str, list[str]]:
    listing = api.get("/live")
    assert listing.status_code == 200, listing.text
    return {part: [e["bundle_id"] for e in listing.json()[part]] for part in ("live_now", "upcoming")}


def test_a_free_live_event_is_listed_upcoming_with_a_signed_manifest_that_vouches_for_its_stream_key(
    api: httpx.Client,
) -> None:
    token = new_creator(api, "Night Radio")
    _, public = stream_key_pair()
    starts = int(time.time()) + 7200
    made = api.post("/creator/live", json=_event(stream_public_key=public, starts_at=starts), headers=bearer(token))
    assert made.status_code == 201, made.text
    bundle_id, stream_id = made.json()["bundle_id"], made.json()["stream_id"]
    assert made.json()["swarm_hash"] == swarm_info_hash(bytes.fromhex(stream_id)).hex()

    upcoming = api.get("/live").json()["upcoming"]
    entry = next(e for e in upcoming if e["bundle_id"] == bundle_id)
    assert entry | {"bundle_id": ""} == entry | {
        "bundle_id": "",
        "creator": "Night Radio",
        "starts_at": starts,
        "gate": "free",
        "price_cents": None,
        "state": "scheduled",
    }
    manifest = signed_manifest(api, bundle_id)  # verified against the store's public key
    assert manifest.kind is BundleKind.LIVE and manifest.files == ()
    assert manifest.live is not None
    assert (manifest.live.stream_id, manifest.live.stream_public_key) == (stream_id, public)
    assert (manifest.live.starts_at, manifest.live.encrypted) == (starts, False)
    assert manifest.live.origin_url == "http://127.0.0.9:8088/"
    detail = api.get(f"/bundles/{bundle_id}").json()
    assert detail["live"]["state"] == "scheduled" and detail["magnet"] == ""
    assert api.get(f"/bundles/{bundle_id}/torrent").status_code == 404  # a broadcast has no .torrent
    assert bundle_id in [b["id"] for b in api.get("/catalog", params={"kind": "live"}).json()["items"]]


def test_on_the_air_it_moves_to_live_now_and_once_ended_it_leaves_the_listing(api: httpx.Client) -> None:
    token = new_creator(api, "Night Radio")
    bundle_id = api.post("/creator/live", json=_event(), headers=bearer(token)).json()["bundle_id"]
    assert bundle_id in _listed(api)["upcoming"]

    on_air = api.put(f"/creator/live/{bundle_id}/state", json={"state": "on_air"}, headers=bearer(token))
    assert on_air.status_code == 200 and on_air.json()["state"] == "on_air"
    listed = _listed(api)
    assert bundle_id in listed["live_now"] and bundle_id not in listed["upcoming"]

    assert (
        api.put(f"/creator/live/{bundle_id}/state", json={"state": "ended"}, headers=bearer(token)).status_code == 200
    )
    listed = _listed(api)
    assert bundle_id not in listed["live_now"] + listed["upcoming"]
    again = api.put(f"/creator/live/{bundle_id}/state", json={"state": "on_air"}, headers=bearer(token))
    assert again.status_code == 409 and again.json()["error"]["code"] == "live_ended"


def test_a_paid_ticket_bought_through_the_ordinary_purchase_opens_the_stream_key(api: httpx.Client) -> None:
    creator = new_creator(api, "Night Radio")
    made = api.post("/creator/live", json=_event(gate="price", price_cents=500), headers=bearer(creator)).json()
    bundle_id = made["bundle_id"]
    manifest = signed_manifest(api, bundle_id)
    assert manifest.live is not None and manifest.live.encrypted  # a paid stream travels encrypted
    assert next(e for e in api.get("/live").json()["upcoming"] if e["bundle_id"] == bundle_id)["price_cents"] == 500

    _, fan = new_account(api)
    bought = api.post("/purchases", json={"bundle_id": bundle_id, "card": CARD}, headers=auth(fan, uuid.uuid4().hex))
    assert bought.status_code == 201, bought.text
    store_key = load_public_key(api.get("/public-key").json()["public_key"])
    ticket = verify_license(bought.json()["license"], store_key)
    bundle_key = base64.b64decode(
        api.get(f"/creators/bundles/{bundle_id}/key", headers=bearer(creator)).json()["bundle_key"]
    )
    # The fan's ticket yields exactly the key the broadcaster encrypts with (from the bundle key).
    assert content_key_from_ticket(ticket, manifest) == stream_content_key(bundle_key, made["stream_id"])
    detail = api.get(f"/bundles/{bundle_id}").json()
    _, section, _ = trusted_stream(SignedManifest.from_dict(detail["manifest"]), store_key)  # what a viewer does
    assert section.stream_id == made["stream_id"]


def _announce(api: httpx.Client, store: StoreProcess, info_hash: bytes, port: int) -> dict[bytes, Any]:
    peer_id = uuid.uuid4().bytes + b"live"
    query = f"info_hash={quote_from_bytes(info_hash)}&peer_id={quote_from_bytes(peer_id)}&port={port}&left=1&compact=1"
    answer = httpx.get(f"{store.url}/announce?{query}", timeout=10)
    assert answer.status_code == 200
    decoded: dict[bytes, Any] = bdecode(answer.content)
    return decoded


def test_the_tracker_accepts_a_live_swarm_and_hands_its_peers_to_each_other(
    api: httpx.Client, store: StoreProcess
) -> None:
    token = new_creator(api, "Night Radio")
    stream_id = api.post("/creator/live", json=_event(), headers=bearer(token)).json()["stream_id"]
    info_hash = swarm_info_hash(bytes.fromhex(stream_id))
    first = _announce(api, store, info_hash, 7001)
    assert b"failure reason" not in first, first
    second = _announce(api, store, info_hash, 7002)
    peers = second[b"peers"]
    assert len(peers) == 6 and int.from_bytes(peers[4:6], "big") == 7001  # the first viewer, compact (BEP 23)
    unknown = _announce(api, store, swarm_info_hash(bytes(16)), 7003)
    assert b"unregistered" in unknown[b"failure reason"]


@pytest.mark.parametrize(
    ("changes", "code", "words"),
    [
        ({"title": "x" * 10_000}, "too_long", "10,000 characters"),
        ({"starts_at": int(time.time()) - 3600}, "invalid_start", "in the past"),
        ({"starts_at": int(time.time()) + 400 * 86400}, "invalid_start", "more than a year ahead"),
        ({"stream_public_key": base64.b64encode(b"\xff" * 32).decode()}, "invalid_stream_key", "not an Ed25519"),
        ({"stream_public_key": "not a key"}, "invalid_stream_key", "not base64"),
        ({"gate": "price"}, "invalid_price", "price"),
        ({"origin_url": "ftp://example.invalid/"}, "invalid_origin", "http:// or https://"),
        ({"gate": "campaign", "price_cents": 900}, "invalid_campaign", "campaign needs"),
    ],
)
def test_a_bad_live_event_is_refused_with_a_sentence_and_lists_nothing(
    api: httpx.Client, changes: dict[str, Any], code: str, words: str
) -> None:
    token = new_creator(api, "Night Radio")
    before = _listed(api)
    refused = api.post("/creator/live", json=_event(**changes), headers=bearer(token))
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == code
    assert words in refused.json()["error"]["message"]
    assert _listed(api) == before


def test_a_non_creator_and_another_creators_bundle_are_refused(api: httpx.Client) -> None:
    _, fan = new_account(api)
    refused = api.post("/creator/live", json=_event(title="x" * 10_000), headers=bearer(fan))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_creator"
    assert api.post("/creator/live", json=_event()).status_code == 401

    owner, other = new_creator(api, "Owner"), new_creator(api, "Someone Else")
    bundle_id = api.post("/creator/live", json=_event(), headers=bearer(owner)).json()["bundle_id"]
    theirs = api.put(f"/creator/live/{bundle_id}/state", json={"state": "on_air"}, headers=bearer(other))
    assert theirs.status_code == 403 and theirs.json()["error"]["code"] == "not_your_bundle"
    assert bundle_id in _listed(api)["upcoming"]  # unchanged
    bad = api.put(f"/creator/live/{bundle_id}/state", json={"state": "paused"}, headers=bearer(owner))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_state"
    missing = api.put("/creator/live/no-such-bundle/state", json={"state": "ended"}, headers=bearer(owner))
    assert missing.status_code == 404


def test_store_client_live_verbs_against_the_real_store(api: httpx.Client, store: StoreProcess) -> None:
    token = new_creator(api, "Client Creator")
    _, public = stream_key_pair()
    client = StoreClient(store.url)
    starts = int(time.time()) + 600
    event = NewLiveEvent(
        title="Harbor at night",
        starts_at=starts,
        gate=LiveGate.PRICE,
        price_cents=300,
        stream_public_key=public,
        origin_url="http://127.0.0.9:9000/",
    )
    created = client.create_live(token, event)
    upcoming = {e.bundle_id: e for e in client.live_listing().upcoming}
    assert upcoming[created.bundle_id].gate == "paid" and upcoming[created.bundle_id].price_cents == 300
    assert int(upcoming[created.bundle_id].starts_at.timestamp()) == starts
    detail = client.bundle(created.bundle_id)
    assert detail.live is not None and detail.live.stream_id == created.stream_id

    assert client.set_live_state(token, created.bundle_id, LiveState.ON_AIR) is LiveState.ON_AIR
    assert created.bundle_id in [e.bundle_id for e in client.live_listing().live_now]
    assert client.bundle(created.bundle_id).live.state == "on_air"  # type: ignore[union-attr]

    _, fan = new_account(api)
    with pytest.raises(Forbidden):
        client.create_live(fan, event)
    with pytest.raises(Forbidden):
        client.set_live_state(fan, created.bundle_id, LiveState.ENDED)
    with pytest.raises(InvalidInput) as refused:
        client.create_live(token, replace(event, title="y" * 10_000))
    assert "10,000 characters" in refused.value.user_message
    client.close()


def test_campaign_and_email_gated_broadcasts_use_the_usual_gates(api: httpx.Client) -> None:
    token = new_creator(api, "Night Radio")
    campaign = {
        "deadline_days": 10,
        "goal_backers": 100,
        "tiers": [{"id": "front-row", "title": "Front row", "price_cents": 1500}],
    }
    made = api.post(
        "/creator/live", json=_event(gate="campaign", price_cents=900, campaign=campaign), headers=bearer(token)
    )
    assert made.status_code == 201, made.text
    bundle_id = made.json()["bundle_id"]
    manifest = signed_manifest(api, bundle_id)
    assert manifest.live is not None and manifest.live.encrypted  # backers' tickets open it
    shown = api.get(f"/campaigns/{bundle_id}").json()
    assert shown["goal_backers"] == 100 and shown["price_cents"] == 900 and shown["state"] == "open"
    tiers = api.get(f"/campaigns/{bundle_id}/tiers").json()["tiers"]
    assert [t["id"] for t in tiers] == ["front-row"]
    _, fan = new_account(api)
    pledged = api.post(f"/campaigns/{bundle_id}/pledges", json={"card": CARD}, headers=auth(fan, uuid.uuid4().hex))
    assert pledged.status_code == 201 and pledged.json()["status"] == "authorized"

    emailed = api.post("/creator/live", json=_event(gate="email"), headers=bearer(token)).json()["bundle_id"]
    email_manifest = signed_manifest(api, emailed)
    assert email_manifest.live is not None and not email_manifest.live.encrypted  # e-mail-gated streams are open
    sent = api.post(
        f"/bundles/{emailed}/email", json={"email": "fan@example.com", "consent": True}, headers=bearer(fan)
    )
    assert sent.status_code == 202, sent.text
    confirmed = api.post(
        f"/bundles/{emailed}/email/confirm",
        json={"email": "fan@example.com", "code": sent.json()["dev_code"]},
        headers=bearer(fan),
    )
    assert confirmed.status_code == 201, confirmed.text
    store_key = load_public_key(api.get("/public-key").json()["public_key"])
    assert verify_license(confirmed.json()["license"], store_key).bundle_id == emailed  # the e-mail ticket
