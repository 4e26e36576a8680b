"""A creator's live events without a store: the key pair is made and its private half kept before the store hears
of the event, a broadcast finds its key by the bundle id (checked against the signed manifest), a ticketed stream
fetches its content key, and a computer that lacks the key says so. The store is a fake here
(tests/integration/test_live_broadcast_cli.py runs the real one; tests/store/test_stream_keys.py the keyring).
``bundlecast live`` is the entry point's own subcommand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from app.bundle import BundleKind, Gate, GateType, LiveSection, Manifest, StoreKey, sign_manifest
from app.library.live_events import LiveEventRequest, LiveEvents
from app.live.access import stream_content_key
from app.live.errors import LiveError
from app.main import main as bundlecast
from app.store.live import LiveCreated, LiveEntry, LiveListing, LiveState, NewLiveEvent
from app.store.stream_keys import public_key_b64
from tests.support.creator import MemoryKeys


@dataclass
class _SignedData:
    payload: str
    signature: str


@dataclass
class _Detail:
    manifest: _SignedData
    tracker_url: str | None = "http://127.0.0.9:1/announce"


class FakeStore:
    """Plays the store's part of the live contract: it signs a live manifest with what the creator sent."""

    def __init__(self, keys: MemoryKeys, *, encrypted: bool = False) -> None:
        self.store_key = StoreKey.generate()
        self.keys = keys
        self.encrypted = encrypted
        self.bodies: list[dict[str, Any]] = []
        self.states: list[tuple[str, str]] = []
        self.keys_held_at_create: list[int] = []
        self.listing = LiveListing((), ())

    def create_live(self, token: str, event: NewLiveEvent) -> LiveCreated:
        self.keys_held_at_create.append(len(self.keys.keys))
        self.bodies.append(event.as_json())
        return LiveCreated("live-7", "ab" * 16, "cd" * 20)

    def live_listing(self) -> LiveListing:
        return self.listing

    def set_live_state(self, token: str, bundle_id: str, state: LiveState) -> None:
        self.states.append((bundle_id, state))

    def public_key(self) -> tuple[str, str]:
        return "store-1", self.store_key.public_key_b64

    def bundle(self, bundle_id: str) -> _Detail:
        body = self.bodies[-1]
        section = LiveSection("ab" * 16, body["stream_public_key"], body["origin_url"], body["starts_at"],
                              self.encrypted)  # fmt: skip
        gate = Gate(GateType.PAID, price_cents=500) if self.encrypted else Gate(GateType.FREE)
        manifest = Manifest(bundle_id=bundle_id, store_id="store-1", title=body["title"], creator="c",
                            kind=BundleKind.LIVE, description="", gate=gate, files=(), info_hash_v1=None,
                            info_hash_v2=None, live=section)  # fmt: skip
        signed = sign_manifest(manifest, self.store_key)
        return _Detail(_SignedData(signed.payload, signed.signature))


class FakeCreator:
    def __init__(self) -> None:
        self.bundle_key_value = bytes(range(32))

    def me(self, token: str) -> dict[str, Any]:
        return {"creator": True, "display_name": "Me"}

    def bundle_key(self, token: str, bundle_id: str) -> bytes:
        return self.bundle_key_value


def _events(store: FakeStore, keys: MemoryKeys, creator: FakeCreator | None = None) -> LiveEvents:
    return LiveEvents(store, creator or FakeCreator(), "token", keys)  # type: ignore[arg-type]


def test_the_private_key_is_kept_before_the_store_hears_of_the_event_and_a_broadcast_finds_it() -> None:
    keys = MemoryKeys()
    store = FakeStore(keys)
    events = _events(store, keys)
    created = events.create(LiveEventRequest(title="Set", origin_url="http://127.0.0.9:8470", starts_at=1_900_000_000))
    assert created.bundle_id == "live-7"
    assert store.keys_held_at_create == [1]
    body = store.bodies[0]
    assert body["gate"] == "free" and body["starts_at"] == 1_900_000_000 and "price_cents" not in body
    assert set(keys.keys) == {"live-7"}  # the pending name is gone once the store answered
    assert public_key_b64(keys.keys["live-7"]) == body["stream_public_key"]  # type: ignore[arg-type]
    plan = events.prepare("live-7")
    assert plan.section.stream_public_key == body["stream_public_key"] and plan.content_key is None
    assert plan.tracker_url == "http://127.0.0.9:1/announce"
    events.set_state("live-7", LiveState.ON_AIR)
    assert store.states == [("live-7", LiveState.ON_AIR)]


def test_a_ticketed_stream_gets_its_content_key_and_a_computer_without_the_key_says_so() -> None:
    keys = MemoryKeys()
    store, creator = FakeStore(keys, encrypted=True), FakeCreator()
    events = _events(store, keys, creator)
    events.create(LiveEventRequest(title="Paid", origin_url="http://127.0.0.9:8470", gate="price", price_cents=700))
    assert store.bodies[0]["price_cents"] == 700
    plan = events.prepare("live-7")
    assert plan.content_key == stream_content_key(creator.bundle_key_value, "ab" * 16)
    keys.keys.clear()
    with pytest.raises(LiveError, match="This computer does not hold the key of this broadcast"):
        events.prepare("live-7")


def test_a_request_the_store_would_refuse_is_refused_before_a_key_is_kept() -> None:
    keys = MemoryKeys()
    events = _events(FakeStore(keys), keys)
    with pytest.raises(LiveError, match="needs a price"):
        events.create(LiveEventRequest(title="Paid", origin_url="http://127.0.0.9:8470", gate="price"))
    with pytest.raises(LiveError, match="gate is one of"):
        events.create(LiveEventRequest(title="X", origin_url="http://127.0.0.9:8470", gate="pwyw"))
    with pytest.raises(LiveError, match="needs a goal"):
        events.create(LiveEventRequest(title="X", origin_url="http://127.0.0.9:8470", gate="campaign"))
    assert keys.keys == {}


def test_bundlecast_live_is_a_subcommand_of_the_entry_point(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        bundlecast(["live", "broadcast", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: bundlecast live broadcast") and "camera[:/dev/videoN][,mic:hw:0]" in out


def test_own_events_are_this_creators_listed_events_whose_key_this_computer_holds() -> None:
    keys = MemoryKeys()
    store = FakeStore(keys)
    events = _events(store, keys)
    events.create(LiveEventRequest(title="Mine", origin_url="http://127.0.0.9:8470"))
    at = datetime.now(UTC)

    def entry(bundle_id: str, creator: str, state: LiveState) -> LiveEntry:
        return LiveEntry(bundle_id, "Mine", creator, at, "free", None, state)

    store.listing = LiveListing(
        live_now=(entry("live-7", "Someone else", LiveState.ON_AIR),),
        upcoming=(entry("live-7", "Me", LiveState.SCHEDULED),),
    )
    assert [(e.bundle_id, e.title, e.on_air) for e in events.own_events()] == [("live-7", "Mine", False)]
    keys.keys.clear()  # made on another computer
    assert events.own_events() == []
