"""Request bodies and answers of the live API (pydantic): a new live event, its state, the live listing.

The constraints are the service's (``storefront.live``), so the API document says what a request must look like;
what JSON Schema cannot say (the start time is not in the past nor over a year ahead, the key is a point of
Ed25519, a price goes with the "price" and "campaign" gates) is the service's call: 422 with its own code. Pure.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from storefront.api.creator_schemas import CampaignBody, _Body, _text
from storefront.draft_checks import MAX_DESCRIPTION, MAX_PRICE_CENTS, MAX_TITLE
from storefront.live_checks import MAX_ORIGIN_URL


class LiveBody(_Body):
    title: str = _text(MAX_TITLE, required=True)
    description: str | None = _text(MAX_DESCRIPTION, required=False)
    starts_at: int = Field(ge=1, le=2**40, description="Unix time (seconds) the broadcast starts")
    gate: Literal["free", "email", "price", "campaign"]
    price_cents: int | None = Field(default=None, ge=1, le=MAX_PRICE_CENTS)  # "price" and "campaign" gates
    stream_public_key: str = Field(pattern=r"^[A-Za-z0-9+/]{43}=$", description="base64 of 32 raw Ed25519 bytes")
    origin_url: str = Field(max_length=MAX_ORIGIN_URL, pattern=r"^https?://[^\s/?#@]+(?:[/?#]\S*)?$")
    campaign: CampaignBody | None = None  # the "campaign" gate only, and then required


class LiveStateBody(_Body):
    state: Literal["on_air", "ended"]


class LiveCreated(BaseModel):
    bundle_id: str
    stream_id: str
    swarm_hash: str  # the info-hash (hex) the stream's swarm announces to the tracker under


class LiveStateAnswer(BaseModel):
    bundle_id: str
    state: str


class LiveEntry(BaseModel):
    bundle_id: str
    title: str
    creator: str
    starts_at: int
    gate: str  # the bundle's gate type: free, email, paid or campaign
    price_cents: int | None
    state: str  # scheduled, on_air (ended ones are not listed)
    stream_id: str
    summary: str


class LiveListing(BaseModel):
    live_now: list[LiveEntry]
    upcoming: list[LiveEntry]
