"""The store's database tables (SQLAlchemy 2, typed). Pure declarations; sessions are used on worker threads.

How ``publish`` (and the demo catalog) fill them — call ``storefront.catalog.register_bundle(session, config,
...)`` rather than writing rows by hand; it does all of this in the caller's transaction:
- ``Bundle``: one row per bundle; ``id`` is the bundle id used everywhere (URLs, manifest, content dir).
  ``cover_path`` is relative to ``data_dir``. ``BundleDocument`` holds its big parts: ``manifest_payload``/
  ``manifest_signature`` (the ``SignedManifest``, signed by ``register_bundle`` with the store key) and
  ``torrent_data``, the .torrent bytes as created (announce and url-list are rewritten when served).
- ``BundleFile``: one row per file of the torrent, ``index`` = the file's index in the torrent.
- ``BundleKey``: the AES bundle key, wrapped (AES-GCM) with the wrap key kept outside the database.
- ``Release``: the releases of a series (episodes); a season license opens present and future ones.
- ``Campaign``: for campaign-gated bundles; ``Pledge`` rows count as backers while authorized or captured.
  Pledges taken elsewhere (the demo's crowd) are imported with ``storefront.campaigns.record_offline_pledges``:
  they count toward the goal; the store holds no authorization for them.
Everything else (accounts, sessions, charges, purchases, licenses, idempotency, e-mail consent) is written by
the API alone.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone; we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    pass


class ChargeStatus(enum.StrEnum):
    PENDING = "pending"  # written before the provider is called; reconcile resolves it after a crash
    RECONCILING = "reconciling"  # a reconciler holds it (lease: updated_at); a crashed one's lease expires
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"
    DECLINED = "declined"
    REFUNDED = "refunded"
    FAILED = "failed"  # never reached the provider, or the provider has no record of it


class PurchaseStatus(enum.StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"


class PledgeStatus(enum.StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"  # captured at the campaign's close, then refunded by its creator (storefront.refunds)


class CampaignState(enum.StrEnum):
    OPEN = "open"
    CLOSING = "closing"  # no new pledges; capture or void in progress (resumable)
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SessionToken(Base):
    __tablename__ = "session_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex; the token is not stored
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SignInFailure(Base):
    """Failed sign-ins, counted per address over a window (kept in the database so workers share them)."""

    __tablename__ = "signin_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    client: Mapped[str] = mapped_column(String(64), default="", index=True)  # the caller's IP address
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Bundle(Base):
    """The catalog row: only what lists, searches and sorts need, so scans stay small (the big documents live
    in ``BundleDocument``)."""

    __tablename__ = "bundles"
    __table_args__ = (
        # (sort key, id) pairs: a page of ids comes from the index alone, however deep the page.
        Index("ix_bundles_newest", "created_at", "id"),
        Index("ix_bundles_title", "title", "id"),
        Index("ix_bundles_popular", "downloads", "id"),
        Index("ix_bundles_price", "sort_price", "id"),
        Index("ix_bundles_kind_newest", "kind", "created_at", "id"),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    creator: Mapped[str] = mapped_column(String(200))
    creator_account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # app.bundle.BundleKind value
    summary: Mapped[str] = mapped_column(String(500), default="")
    search_text: Mapped[str] = mapped_column(String(1100), default="")  # lower-cased title, creator, summary
    gate_type: Mapped[str] = mapped_column(String(20))  # app.bundle.GateType value
    price_cents: Mapped[int | None] = mapped_column(Integer)
    min_cents: Mapped[int | None] = mapped_column(Integer)
    sort_price: Mapped[int] = mapped_column(Integer, default=0)  # price, or minimum, or 0
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    cover_path: Mapped[str | None] = mapped_column(String(500))  # relative to data_dir
    info_hash_v1: Mapped[str | None] = mapped_column(String(40), index=True)
    info_hash_v2: Mapped[str | None] = mapped_column(String(64), index=True)
    total_size: Mapped[int] = mapped_column(BigInteger, default=0)
    downloads: Mapped[int] = mapped_column(Integer, default=0)  # .torrent fetches
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[BundleDocument] = relationship(back_populates="bundle", cascade="all, delete-orphan")
    files: Mapped[list[BundleFile]] = relationship(
        back_populates="bundle", order_by="BundleFile.index", cascade="all, delete-orphan"
    )
    releases: Mapped[list[Release]] = relationship(
        # Releases published at the same moment (a series' first batch) keep the order they were published in.
        back_populates="bundle", order_by="(Release.released_at, Release.id)", cascade="all, delete-orphan"
    )


class BundleDocument(Base):
    """A bundle's large parts: description, signed manifest, .torrent bytes."""

    __tablename__ = "bundle_documents"
    bundle_id: Mapped[str] = mapped_column(ForeignKey("bundles.id", ondelete="CASCADE"), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    manifest_payload: Mapped[str] = mapped_column(Text)
    manifest_signature: Mapped[str] = mapped_column(String(200))
    torrent_data: Mapped[bytes | None] = mapped_column(LargeBinary)

    bundle: Mapped[Bundle] = relationship(back_populates="document")


class BundleFile(Base):
    __tablename__ = "bundle_files"
    __table_args__ = (UniqueConstraint("bundle_id", "index"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bundle_id: Mapped[str] = mapped_column(ForeignKey("bundles.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(1000))
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    duration_s: Mapped[float | None] = mapped_column(Float)
    bitrate: Mapped[int | None] = mapped_column(Integer)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    release_id: Mapped[str | None] = mapped_column(String(64))

    bundle: Mapped[Bundle] = relationship(back_populates="files")


class Release(Base):
    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("bundle_id", "release_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bundle_id: Mapped[str] = mapped_column(ForeignKey("bundles.id", ondelete="CASCADE"))
    release_id: Mapped[str] = mapped_column(String(64))  # app.bundle.Release.id
    title: Mapped[str] = mapped_column(String(300))
    released_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    bundle: Mapped[Bundle] = relationship(back_populates="releases")


class BundleKey(Base):
    __tablename__ = "bundle_keys"
    bundle_id: Mapped[str] = mapped_column(ForeignKey("bundles.id", ondelete="CASCADE"), primary_key=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)  # nonce (12) + AES-GCM(wrap key, bundle key)


class Charge(Base):
    """Our record of one payment at the provider; ``id`` is also the provider's idempotency reference."""

    __tablename__ = "charges"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    bundle_id: Mapped[str] = mapped_column(ForeignKey("bundles.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # "purchase" | "pledge"
    provider: Mapped[str] = mapped_column(String(40))
    provider_ref: Mapped[str | None] = mapped_column(String(100))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)  # the payment provider's fee, once captured
    status: Mapped[str] = mapped_column(String(20), default=ChargeStatus.PENDING, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Purchase(Base):
    """One account owns a bundle once: the unique pair stops a second charge even from a second key."""

    __tablename__ = "purchases"
    __table_args__ = (UniqueConstraint("account_id", "bundle_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    bundle_id: Mapped[str] = mapped_column(ForeignKey("bundles.id"), index=True)
    charge_id: Mapped[str | None] = mapped_column(ForeignKey("charges.id"), unique=True)  # None: paid nothing
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default=PurchaseStatus.PENDING)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class License(Base):
    __tablename__ = "licenses"
    __table_args__ = (UniqueConstraint("account_id", "bundle_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    bundle_id: Mapped[str] = mapped_column(ForeignKey("bundles.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # "free" | "email" | "purchase" | "campaign"
    charge_id: Mapped[str | None] = mapped_column(ForeignKey("charges.id"), unique=True)
    token: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmailSubscription(Base):
    """The e-mail gate: an address, its consent, and the double opt-in code (stored hashed)."""

    __tablename__ = "email_subscriptions"
    __table_args__ = (UniqueConstraint("bundle_id", "account_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bundle_id: Mapped[str] = mapped_column(ForeignKey("bundles.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    email: Mapped[str] = mapped_column(String(320))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consented_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    code_expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    bundle_id: Mapped[str] = mapped_column(ForeignKey("bundles.id"), unique=True)
    goal_backers: Mapped[int | None] = mapped_column(Integer)
    goal_cents: Mapped[int | None] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    state: Mapped[str] = mapped_column(String(20), default=CampaignState.OPEN, index=True)
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped by every pledge: serializes vs closing
    # Running totals (updated in the pledge's own transaction, so progress reads are one row):
    backers: Mapped[int] = mapped_column(Integer, default=0)
    pledged_cents: Mapped[int] = mapped_column(Integer, default=0)
    # Of those, pledges taken elsewhere and imported (the demo's crowd): they count toward the goal but
    # this store holds no authorization for them, so closing captures nothing for them.
    offline_backers: Mapped[int] = mapped_column(Integer, default=0)
    offline_cents: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Pledge(Base):
    __tablename__ = "pledges"
    __table_args__ = (
        UniqueConstraint("campaign_id", "account_id"),
        Index("ix_pledges_campaign_status", "campaign_id", "status"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"))
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    charge_id: Mapped[str | None] = mapped_column(ForeignKey("charges.id"), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=PledgeStatus.PENDING)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyRecord(Base):
    """One row per (account, Idempotency-Key): the request's fingerprint and, once done, its stored answer."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("account_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    charge_id: Mapped[str | None] = mapped_column(String(32), index=True)  # the charge this request started
    status_code: Mapped[int | None] = mapped_column(Integer)  # NULL while the first request runs
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TestCardPayment(Base):
    """The embedded test-card provider's own ledger — it stands for the payment service's books, so it is
    written in the provider's own transactions, never in ours (that is what reconcile compares against)."""

    __tablename__ = "testcard_payments"
    __test__ = False  # not a pytest class
    reference: Mapped[str] = mapped_column(String(32), primary_key=True)  # our Charge.id
    card_last4: Mapped[str] = mapped_column(String(4))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))  # authorized | captured | voided | refunded
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class StripePayment(Base):
    """The Stripe adapter's record of one payment: our reference (``Charge.id``) to Stripe's PaymentIntent, and
    the customer and saved card a pledge is charged off-session with when its hold has expired. Written by the
    adapter and by verified webhooks (``webhook_events`` counts the events applied to it)."""

    __tablename__ = "stripe_payments"
    reference: Mapped[str] = mapped_column(String(32), primary_key=True)  # our Charge.id
    payment_intent_id: Mapped[str] = mapped_column(String(255), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(255))
    payment_method_id: Mapped[str | None] = mapped_column(String(255))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))  # authorized | captured | voided | refunded
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    authorized_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    webhook_events: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class StripeEvent(Base):
    """A Stripe webhook event processed: the primary key is what makes processing happen exactly once."""

    __tablename__ = "stripe_events"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # Stripe's evt_… id
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SchemaVersion(Base):
    __tablename__ = "schema_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


# --- creators (issue 10): new tables only, so schema step 3 is a create_all of these on any database -----------


class CreatorProfile(Base):
    """An account with the creator role (becoming a creator is one API call); its public name on bundles."""

    __tablename__ = "creator_profiles"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DraftState(enum.StrEnum):
    UPLOADING = "uploading"  # the creator's app sends the content; nothing shows in the catalog
    PUBLISHED = "published"
    ABANDONED = "abandoned"


class PublishDraft(Base):
    """A bundle (or a release of one) on its way in: validated, key wrapped, content arriving by upload."""

    __tablename__ = "publish_drafts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    bundle_id: Mapped[str] = mapped_column(String(64), index=True)  # the id the bundle gets (or has: a release)
    is_release: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default=DraftState.UPLOADING, index=True)
    draft_json: Mapped[str] = mapped_column(Text)  # the validated draft (manifest fields, campaign, tiers)
    torrent_data: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)  # nonce + AES-GCM(wrap key, bundle key)
    top_name: Mapped[str] = mapped_column(String(200))
    piece_size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PublishDraftFile(Base):
    """One file of a draft's torrent: how many of its bytes the store holds, verified piece by piece."""

    __tablename__ = "publish_draft_files"
    __table_args__ = (UniqueConstraint("draft_id", "position"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[str] = mapped_column(ForeignKey("publish_drafts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # the file's index among the torrent's real files
    torrent_index: Mapped[int] = mapped_column(Integer)  # its index in the torrent (pad files count)
    path: Mapped[str] = mapped_column(String(1000))
    size: Mapped[int] = mapped_column(BigInteger)
    first_piece: Mapped[int] = mapped_column(Integer)
    pad_after: Mapped[int] = mapped_column(Integer, default=0)  # zero bytes a pad file adds after it
    received: Mapped[int] = mapped_column(BigInteger, default=0)


class CampaignTier(Base):
    """A reward tier of a campaign: '$9.95 the season', '$25 the season and your name in the credits'."""

    __tablename__ = "campaign_tiers"
    __table_args__ = (UniqueConstraint("campaign_id", "tier_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    tier_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    price_cents: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


class PledgeTier(Base):
    """The tier a pledge is at now (a pledge without a row is at the campaign's base price)."""

    __tablename__ = "pledge_tiers"
    pledge_id: Mapped[str] = mapped_column(ForeignKey("pledges.id", ondelete="CASCADE"), primary_key=True)
    tier_id: Mapped[str] = mapped_column(String(64))


class CreatorUpdate(Base):
    """A creator's update on a bundle (news for backers and owners)."""

    __tablename__ = "creator_updates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bundle_id: Mapped[str] = mapped_column(ForeignKey("bundles.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DownloadDay(Base):
    """.torrent fetches of a bundle per UTC day (the dashboard's downloads-per-day series)."""

    __tablename__ = "download_days"
    bundle_id: Mapped[str] = mapped_column(ForeignKey("bundles.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD
    count: Mapped[int] = mapped_column(Integer, default=0)


CREATOR_TABLES = (
    CreatorProfile,
    PublishDraft,
    PublishDraftFile,
    CampaignTier,
    PledgeTier,
    CreatorUpdate,
    DownloadDay,
)


# --- live broadcasts (issue 9): one new table, so schema step 4 is a create_all of it on any database -------------


class LiveState(enum.StrEnum):
    SCHEDULED = "scheduled"  # announced for ``starts_at``; listed as upcoming
    ON_AIR = "on_air"  # the creator went live; listed as live now
    ENDED = "ended"  # over; no longer listed (the recording becomes an ordinary bundle)


class LiveEvent(Base):
    """A live bundle's broadcast: its stream, when it starts, whether it is on the air, and its swarm's tracker key.

    The bundle itself (kind ``live``, signed manifest with the ``LiveSection``, wrapped key, gate) is an ordinary
    ``Bundle`` row; this row holds what changes while it runs. ``swarm_hash`` is
    ``app.live.blocks.swarm_info_hash(stream id)`` in hex: the info-hash its viewers announce to the tracker under."""

    __tablename__ = "live_events"
    __table_args__ = (Index("ix_live_events_state_starts", "state", "starts_at"),)
    bundle_id: Mapped[str] = mapped_column(ForeignKey("bundles.id", ondelete="CASCADE"), primary_key=True)
    stream_id: Mapped[str] = mapped_column(String(32), unique=True)
    swarm_hash: Mapped[str] = mapped_column(String(40), unique=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20), default=LiveState.SCHEDULED)
    state_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


LIVE_TABLES = (LiveEvent,)
