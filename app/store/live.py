"""The store's live calls (issue 9): what is on (``GET /live``), a creator announcing a live event and putting it
on the air or ending it. Answers become frozen dataclasses, checked field by field like every store answer.

A live event is a bundle of kind ``live``: its signed manifest comes with ``StoreClient.bundle`` and its tickets are
ordinary licenses through the existing gates. The stream's private key never goes to the store: the creator's app
sends the public key only. Blocking; worker threads (``StoreClient`` calls these).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.store.errors import MalformedResponse, StoreError
from app.store.parsing import Fields
from app.store.transport import Transport


class LiveGate(StrEnum):
    """The gate a creator gives a live event ("price" is a paid ticket)."""

    FREE = "free"
    EMAIL = "email"
    PRICE = "price"
    CAMPAIGN = "campaign"


class LiveState(StrEnum):
    SCHEDULED = "scheduled"
    ON_AIR = "on_air"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class LiveEntry:
    """One broadcast in the store's live listing."""

    bundle_id: str
    title: str
    creator: str
    starts_at: datetime
    gate: str  # the bundle's gate type: "free", "email", "paid" or "campaign"
    price_cents: int | None
    state: LiveState
    summary: str = ""

    @property
    def on_air(self) -> bool:
        return self.state is LiveState.ON_AIR


@dataclass(frozen=True, slots=True)
class LiveListing:
    live_now: tuple[LiveEntry, ...]
    upcoming: tuple[LiveEntry, ...]


@dataclass(frozen=True, slots=True)
class LiveCreated:
    bundle_id: str
    stream_id: str
    swarm_hash: str  # hex info-hash the stream's swarm announces to the store's tracker under


@dataclass(frozen=True, slots=True)
class NewLiveEvent:
    """What a creator announces. ``stream_public_key``: base64 of the 32 raw Ed25519 bytes (the app keeps the
    private key); ``starts_at``: Unix seconds; ``campaign``: the usual campaign fields (deadline_days, goal_backers
    or goal_cents, tiers) for the campaign gate."""

    title: str
    starts_at: int
    gate: LiveGate
    stream_public_key: str
    origin_url: str
    description: str = ""
    price_cents: int | None = None
    campaign: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "title": self.title,
            "description": self.description,
            "starts_at": self.starts_at,
            "gate": self.gate.value,
            "stream_public_key": self.stream_public_key,
            "origin_url": self.origin_url,
        }
        if self.price_cents is not None:
            body["price_cents"] = self.price_cents
        if self.campaign is not None:
            body["campaign"] = self.campaign
        return body


def _entry(f: Fields) -> LiveEntry:
    try:
        state = LiveState(f.text("state"))
    except ValueError as exc:
        raise MalformedResponse(detail=f"{f.where}.state is not a live state") from exc
    return LiveEntry(
        bundle_id=f.id("bundle_id"),
        title=f.text("title"),
        creator=f.text("creator"),
        starts_at=f.time("starts_at"),
        gate=f.text("gate"),
        price_cents=f.opt_integer("price_cents"),
        state=state,
        summary=f.opt_text("summary") or "",
    )


def parse_listing(data: object) -> LiveListing:
    f = Fields(data, "live")
    return LiveListing(
        live_now=tuple(_entry(Fields(item, f"live.live_now[{i}]")) for i, item in enumerate(f.items("live_now"))),
        upcoming=tuple(_entry(Fields(item, f"live.upcoming[{i}]")) for i, item in enumerate(f.items("upcoming"))),
    )


def parse_created(data: object) -> LiveCreated:
    f = Fields(data, "live_created")
    return LiveCreated(bundle_id=f.id("bundle_id"), stream_id=f.text("stream_id"), swarm_hash=f.text("swarm_hash"))


def parse_state(data: object) -> LiveState:
    f = Fields(data, "live_state")
    try:
        return LiveState(f.text("state"))
    except ValueError as exc:
        raise MalformedResponse(detail="live_state.state is not a live state") from exc


def fetch_listing(http: Transport) -> LiveListing:
    return parse_listing(http.request("GET", "/live"))


def post_live(http: Transport, token: str, event: NewLiveEvent, *, unauthorized: type[StoreError]) -> LiveCreated:
    return parse_created(
        http.request("POST", "/creator/live", body=event.as_json(), token=token, unauthorized=unauthorized)
    )


def put_state(http: Transport, token: str, path: str, state: LiveState, *, unauthorized: type[StoreError]) -> LiveState:
    return parse_state(http.request("PUT", path, body={"state": state.value}, token=token, unauthorized=unauthorized))
