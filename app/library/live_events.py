"""A creator's live events at the store: create one (the stream's key pair made and kept here), get ready to
broadcast one (the signed manifest verified, the private key found, a ticketed stream's key fetched), and say
when it is on air and when it has ended.

``LiveEvents`` wraps the store's calls with the creator's session token; the private key goes to the OS keyring
(``app.store.stream_keys``, per bundle id) — under a pending name before the store hears of the event, so no event
exists whose key this computer never had.
Blocking (HTTP and D-Bus): the CLI's main thread, the UI's workers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.bundle import BundleError, LiveSection, Manifest, SignedManifest, load_public_key
from app.live.access import stream_content_key, trusted_stream
from app.live.errors import LiveError
from app.store.client import StoreClient
from app.store.creator import CreatorClient
from app.store.live import LiveGate, LiveState, NewLiveEvent
from app.store.stream_keys import new_stream_key, public_key_b64

GATES = tuple(gate.value for gate in LiveGate)  # free, email, price (a paid ticket), campaign
ON_AIR, ENDED = LiveState.ON_AIR, LiveState.ENDED


class StreamKeys(Protocol):
    """``app.store.stream_keys.KeyringStreamKeys``: one signing key per name (a live bundle's id)."""

    def put(self, bundle_id: str, key: Ed25519PrivateKey) -> None: ...

    def get(self, bundle_id: str) -> Ed25519PrivateKey | None: ...

    def delete(self, bundle_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class LiveEventRequest:
    title: str
    origin_url: str  # where viewers reach this computer's broadcast (the origin's HTTP; the overlay is port + 1)
    starts_at: int = 0  # unix seconds; 0: now
    description: str = ""
    gate: str = "free"  # free | email | price | campaign
    price_cents: int | None = None
    goal_backers: int | None = None
    goal_cents: int | None = None
    deadline_days: float | None = None

    def event(self, stream_public_key: str) -> NewLiveEvent:
        """What the store is told (``POST /creator/live``, docs/CONTRACTS.md "Live on the store")."""
        if self.gate not in GATES:
            raise LiveError(f"A live event's gate is one of {', '.join(GATES)}.")
        if self.gate == "price" and not self.price_cents:
            raise LiveError("A ticketed live event needs a price.")
        campaign = None
        if self.gate == "campaign":
            if not (self.goal_backers or self.goal_cents):
                raise LiveError("A crowdfunded live event needs a goal: a number of backers or an amount.")
            campaign = {"deadline_days": self.deadline_days or 30.0, "tiers": []}
            campaign |= {"goal_backers": self.goal_backers} if self.goal_backers else {}
            campaign |= {"goal_cents": self.goal_cents} if self.goal_cents else {}
        return NewLiveEvent(
            title=self.title,
            starts_at=self.starts_at or int(time.time()),
            gate=LiveGate(self.gate),
            stream_public_key=stream_public_key,
            origin_url=self.origin_url,
            description=self.description,
            price_cents=self.price_cents if self.gate in ("price", "campaign") else None,
            campaign=campaign,
        )


@dataclass(frozen=True, slots=True)
class CreatedLive:
    bundle_id: str
    stream_id: str


@dataclass(frozen=True, slots=True)
class OwnEvent:
    """A live event of this creator, announced and not ended, whose key this computer holds."""

    bundle_id: str
    title: str
    starts_at: datetime
    on_air: bool


@dataclass(frozen=True, slots=True)
class BroadcastPlan:
    """Everything a broadcast needs, every part checked: the store signed the manifest, the key pair matches."""

    manifest: Manifest
    section: LiveSection
    private_key: Ed25519PrivateKey
    content_key: bytes | None  # a ticketed stream's key; None for a free one
    tracker_url: str | None = None  # the store's tracker, where the swarm finds the origin


class LiveEvents:
    def __init__(self, store: StoreClient, creator: CreatorClient, token: str, keys: StreamKeys) -> None:
        self._store, self._creator, self._token, self._keys = store, creator, token, keys

    def create(self, request: LiveEventRequest) -> CreatedLive:
        """Kept under a pending name before the store hears of the event, then under the bundle id it answers: no
        event exists at the store whose key this computer never had."""
        private = new_stream_key()
        public = public_key_b64(private)
        event = request.event(public)  # refused before a key is kept
        pending = f"pending-{public}"
        self._keys.put(pending, private)
        answer = self._store.create_live(self._token, event)
        self._keys.put(answer.bundle_id, private)
        self._keys.delete(pending)
        return CreatedLive(answer.bundle_id, answer.stream_id)

    def prepare(self, bundle_id: str) -> BroadcastPlan:
        _, store_key = self._store.public_key()
        detail = self._store.bundle(bundle_id)
        signed = SignedManifest(detail.manifest.payload, detail.manifest.signature)
        manifest, section, _ = trusted_stream(signed, load_public_key(store_key))
        private = self._keys.get(bundle_id)
        if private is None or public_key_b64(private) != section.stream_public_key:
            raise LiveError(
                "This computer does not hold the key of this broadcast: it was created on another computer, "
                "or this computer's keyring was cleared. Create a new live event here."
            )
        content_key = None
        if section.encrypted:
            content_key = stream_content_key(self._creator.bundle_key(self._token, bundle_id), section.stream_id)
        return BroadcastPlan(manifest, section, private, content_key, detail.tracker_url)

    def own_events(self) -> list[OwnEvent]:
        """This creator's listed live events (on air first, then the soonest) that this computer can broadcast."""
        name = self._creator.me(self._token).get("display_name")
        listing = self._store.live_listing()
        _, store_key = self._store.public_key()
        key = load_public_key(store_key)
        own = []
        for entry in (*listing.live_now, *listing.upcoming):
            if entry.creator != name:
                continue
            detail = self._store.bundle(entry.bundle_id)
            try:
                _, section, _ = trusted_stream(SignedManifest(detail.manifest.payload, detail.manifest.signature), key)
            except (LiveError, BundleError):
                continue
            private = self._keys.get(entry.bundle_id)
            if private is not None and public_key_b64(private) == section.stream_public_key:
                own.append(OwnEvent(entry.bundle_id, entry.title, entry.starts_at, entry.on_air))
        return own

    def set_state(self, bundle_id: str, state: LiveState) -> None:
        self._store.set_live_state(self._token, bundle_id, state)
