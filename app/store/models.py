"""What the store's API answers, as frozen dataclasses (docs/CONTRACTS.md, "Store HTTP API").

Immutable values that cross from the store client's worker threads to the UI. Money is in integer cents with an
ISO currency code; times are timezone-aware `datetime`s. Built by `app.store.parsing`, never from raw dicts
elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class GateType(StrEnum):
    FREE = "free"
    EMAIL = "email"
    PAID = "paid"
    PWYW = "pwyw"
    CAMPAIGN = "campaign"


class CampaignState(StrEnum):
    OPEN = "open"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class TestCard:
    """A card number the demo store's test provider documents, and what it does."""

    __test__ = False  # pytest: a data class, not a test class
    number: str
    outcome: str


@dataclass(frozen=True, slots=True)
class StoreInfo:
    store_id: str
    name: str
    public_key: str  # base64 of the raw 32-byte Ed25519 key that signs manifests and licenses
    demo: bool
    test_cards: tuple[TestCard, ...]
    fee_percent: float


@dataclass(frozen=True, slots=True)
class Gate:
    type: GateType
    currency: str
    price_cents: int | None = None  # paid, campaign
    min_cents: int | None = None  # pay what you want


@dataclass(frozen=True, slots=True)
class BundleSummary:
    id: str
    title: str
    creator: str
    kind: str
    gate: Gate
    cover_url: str
    summary: str
    total_size: int


@dataclass(frozen=True, slots=True)
class FileInfo:
    index: int
    path: str
    size: int
    media_type: str
    locked: bool
    duration_s: float | None = None
    bitrate: int | None = None
    release: str | None = None  # the id of the release that added this file


@dataclass(frozen=True, slots=True)
class SignedManifestData:
    """The manifest as served: its canonical JSON and the store's signature (verify with app.bundle)."""

    payload: str
    signature: str


@dataclass(frozen=True, slots=True)
class SwarmHealth:
    seeders: int
    leechers: int
    completed: int


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    bundle_id: str
    goal_backers: int | None
    goal_cents: int | None
    price_cents: int
    currency: str
    backers: int
    pledged_cents: int
    deadline: datetime
    seconds_left: int
    state: CampaignState


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """One part of a bundle released at a set time (a campaign's episodes); its files name it in `release`."""

    id: str
    title: str
    released_at: datetime | None

    def is_out(self, now: datetime) -> bool:
        return self.released_at is not None and self.released_at <= now


@dataclass(frozen=True, slots=True)
class LiveInfo:
    """A live bundle's broadcast as the store tells it now (issue 9); the signed facts are in its manifest."""

    stream_id: str
    swarm_hash: str  # hex info-hash its viewers announce to the tracker under
    starts_at: datetime
    state: str  # "scheduled", "on_air" or "ended"


@dataclass(frozen=True, slots=True)
class BundleDetail(BundleSummary):
    description: str
    files: tuple[FileInfo, ...]
    manifest: SignedManifestData
    torrent_url: str
    magnet: str
    info_hash_v1: str | None
    info_hash_v2: str | None
    web_seed_url: str | None
    tracker_url: str | None
    swarm: SwarmHealth
    campaign: Campaign | None
    releases: tuple[ReleaseInfo, ...]
    live: LiveInfo | None = None  # kind "live" only


@dataclass(frozen=True, slots=True)
class CatalogPage:
    items: tuple[BundleSummary, ...]
    total: int  # more than this many match when not total_exact (the store stops counting past 1,000)
    page: int
    per_page: int
    total_exact: bool = True


@dataclass(frozen=True, slots=True)
class AccountCreated:
    account_id: str
    email: str


@dataclass(frozen=True, slots=True)
class SignInResult:
    token: str
    expires_at: datetime | None
    account_id: str


@dataclass(frozen=True, slots=True)
class EmailCodeSent:
    status: str
    dev_code: str | None  # only from a demo store without SMTP: the code it would have mailed


@dataclass(frozen=True, slots=True)
class PurchaseResult:
    purchase_id: str
    bundle_id: str
    amount_cents: int
    currency: str
    license: str  # the signed token; app.store.vault verifies it before keeping it


@dataclass(frozen=True, slots=True)
class PledgeResult:
    pledge_id: str
    status: str


@dataclass(frozen=True, slots=True)
class AccountPledge:
    """One of the account's standing pledges, made on any computer or on the web (``GET /me/pledges``)."""

    campaign_id: str
    bundle_id: str
    tier_id: str
    amount_cents: int
    currency: str
    state: str  # "authorized" (card held) or "captured" (the campaign was funded)


@dataclass(frozen=True, slots=True)
class Card:
    """Card details typed by the user. Never logged; `repr` shows only the last four digits."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str

    def __repr__(self) -> str:
        return f"Card(number='…{self.number[-4:]}', exp={self.exp_month:02d}/{self.exp_year})"

    def as_json(self) -> dict[str, object]:
        return {
            "number": self.number.replace(" ", ""),
            "exp_month": self.exp_month,
            "exp_year": self.exp_year,
            "cvc": self.cvc,
        }


@dataclass(frozen=True, slots=True)
class CreatorReportLine:
    bundle_id: str
    title: str
    gross_cents: int
    payment_fees_cents: int
    store_fee_cents: int
    net_cents: int
    downloads: int


@dataclass(frozen=True, slots=True)
class Subscriber:
    """An address that consented to a creator's mail through the e-mail gate (creator export)."""

    email: str
    consented_at: datetime
    confirmed_at: datetime | None
