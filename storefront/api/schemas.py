"""Request bodies of the API (pydantic). Answers are plain JSON objects built by the endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Header
from pydantic import BaseModel, Field

from storefront.accounts import MAX_PASSWORD, MIN_PASSWORD
from storefront.payments import Card

# What storefront.accounts.normalize_email accepts, as a schema constraint (issue 13: the document is the truth).
EMAIL_PATTERN = (
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
Email = Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN)]
# An Idempotency-Key: printable ASCII, no blank at either end (storefront.idempotency.validate_key).
IdempotencyKey = Annotated[str, Header(min_length=1, max_length=200, pattern=r"^[!-~](?:[ -~]*[!-~])?$")]


class Credentials(BaseModel):
    email: Email
    password: str = Field(min_length=1, max_length=1024)


class NewAccount(Credentials):
    password: str = Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)


class CardBody(BaseModel):
    # The card's shape is in the schema; whether the number passes Luhn and the date is still ahead is the
    # provider's call (422 invalid_card), and whether the bank pays is the bank's (402).
    number: str = Field(pattern=r"^(?:[0-9][ -]?){12,19}$", max_length=40)
    exp_month: int = Field(ge=1, le=12)
    exp_year: int = Field(ge=2000, le=2100)
    cvc: str = Field(pattern=r"^[0-9]{3,4}$")

    def to_card(self) -> Card:
        return Card(number=self.number.replace(" ", ""), exp_month=self.exp_month, exp_year=self.exp_year, cvc=self.cvc)


class PurchaseBody(BaseModel):
    bundle_id: str = Field(min_length=1, max_length=64)
    card: CardBody
    amount_cents: int | None = Field(default=None, ge=0)


class PledgeBody(BaseModel):
    card: CardBody


class EmailGateBody(BaseModel):
    email: Email
    consent: Literal[True]  # the bundle is given for the fan's consent to the creator's e-mail


class EmailConfirmBody(BaseModel):
    email: Email
    code: str = Field(min_length=1, max_length=16)


# --- answers: documented in the OpenAPI document (the endpoints build plain JSON; see docs/CONTRACTS.md) ------


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorAnswer(BaseModel):
    error: ErrorDetail


class TestCardInfo(BaseModel):
    __test__ = False  # not a pytest class
    number: str
    outcome: str


class StoreInfo(BaseModel):
    store_id: str
    name: str
    public_key: str
    demo: bool
    test_cards: list[TestCardInfo]
    fee_percent: int


class PublicKey(BaseModel):
    store_id: str
    public_key: str


class GateInfo(BaseModel):
    type: str
    price_cents: int | None = None
    min_cents: int | None = None
    currency: str


class BundleSummary(BaseModel):
    id: str
    title: str
    creator: str
    kind: str
    gate: GateInfo
    cover_url: str | None
    summary: str
    total_size: int


class CatalogPage(BaseModel):
    items: list[BundleSummary]
    total: int = Field(
        description="Bundles that match: exact when total_exact; otherwise there are more than this many (counting "
        "stops past 1,000 and past the next page)"
    )
    total_exact: bool = Field(description="False when more bundles match than total says")
    page: int
    per_page: int


class FileInfo(BaseModel):
    index: int
    path: str
    size: int
    media_type: str
    duration_s: float | None = None
    bitrate: int | None = None
    locked: bool
    release: str | None = None


class ReleaseInfo(BaseModel):
    id: str
    title: str
    released_at: int


class SignedManifestInfo(BaseModel):
    payload: str
    signature: str


class SwarmInfo(BaseModel):
    seeders: int
    leechers: int
    completed: int


class CampaignInfo(BaseModel):
    id: str
    bundle_id: str
    goal_backers: int | None
    goal_cents: int | None
    price_cents: int
    currency: str
    backers: int
    pledged_cents: int
    deadline: str
    seconds_left: int
    state: str


class LiveInfo(BaseModel):
    stream_id: str
    swarm_hash: str  # the info-hash (hex) its viewers announce to the tracker under
    starts_at: int
    state: str  # scheduled, on_air or ended


class BundleDetail(BundleSummary):
    description: str
    files: list[FileInfo]
    releases: list[ReleaseInfo]
    manifest: SignedManifestInfo
    torrent_url: str
    magnet: str
    info_hash_v1: str | None
    info_hash_v2: str | None
    web_seed_url: str
    tracker_url: str
    swarm: SwarmInfo
    campaign: CampaignInfo | None
    live: LiveInfo | None = None  # issue 9: a live bundle's broadcast (kind "live" only)


class AccountCreated(BaseModel):
    account_id: str
    email: str


class SessionCreated(BaseModel):
    token: str
    expires_at: str
    account_id: str


class LicenseAnswer(BaseModel):
    license: str


class CodeSent(BaseModel):
    status: str
    dev_code: str | None = None


class PurchaseDone(BaseModel):
    purchase_id: str
    bundle_id: str
    amount_cents: int
    currency: str
    license: str


class PledgeDone(BaseModel):
    pledge_id: str
    status: str


class LicenseList(BaseModel):
    licenses: list[str]


class ReportLine(BaseModel):
    bundle_id: str
    title: str
    gross_cents: int
    payment_fees_cents: int
    store_fee_cents: int
    net_cents: int
    downloads: int


class CreatorReport(BaseModel):
    bundles: list[ReportLine]


class Subscriber(BaseModel):
    email: str
    consented_at: str
    confirmed_at: str | None


class SubscriberExport(BaseModel):
    bundle_id: str
    subscribers: list[Subscriber]


def documented(status: int, model: type[BaseModel], *errors: int) -> dict[int | str, dict[str, object]]:
    """``responses=`` for a route: its answer's schema and its error statuses, documentation only (the
    endpoint's JSON is not re-validated on the way out)."""
    answers: dict[int | str, dict[str, object]] = {status: {"model": model}}
    for code in errors:
        answers[code] = {"model": ErrorAnswer}
    return answers
