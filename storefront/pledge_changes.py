"""Reward tiers, and a backer's own pledge: pledge at a tier, change tier, cancel, pledge again — before the deadline.

Every change passes the same gate a pledge passes (the campaign row's version bump while it is open and before
its deadline), so it serializes with the closer's flip to ``closing``: a change either lands before the close and
is settled with the others, or is refused with ``campaign_closed`` and the earlier pledge stands. A tier change
authorizes the new amount first, swaps the pledge to that authorization in one transaction, then voids the old
one — at any instant exactly one authorization is the pledge's, so closing captures each backer once, at the
final tier. Cancelling moves the pledge out of ``authorized`` (closing never captures it) and voids the card hold.
Blocking; runs on the API's worker threads.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.campaign_close import mark_pledge_authorized
from storefront.db import Database
from storefront.errors import ConflictError, InvalidInputError, NotFoundError
from storefront.models import (
    Campaign,
    CampaignState,
    CampaignTier,
    Charge,
    ChargeStatus,
    Pledge,
    PledgeStatus,
    PledgeTier,
    utcnow,
)
from storefront.payments import Card, PaymentError, PaymentProvider

BASE_TIER = "base"


def _closed() -> ConflictError:
    return ConflictError("This campaign has closed; pledges can no longer change.", code="campaign_closed")


def _gate(session: Session, campaign_id: str) -> None:
    opened = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.state == CampaignState.OPEN, Campaign.deadline > utcnow())
        .values(version=Campaign.version + 1)
    )
    if opened.rowcount == 0:  # type: ignore[attr-defined]
        if session.get(Campaign, campaign_id) is None:
            raise NotFoundError(f"There is no campaign {campaign_id!r} in this store.", code="unknown_campaign")
        raise _closed()


def tiers(db: Database, campaign_id: str) -> list[dict[str, Any]]:
    with db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise NotFoundError(f"There is no campaign {campaign_id!r} in this store.", code="unknown_campaign")
        rows = session.scalars(
            select(CampaignTier).where(CampaignTier.campaign_id == campaign_id).order_by(CampaignTier.position)
        )
        listed = [
            {"id": t.tier_id, "title": t.title, "description": t.description, "price_cents": t.price_cents}
            for t in rows
        ]
        if not listed:
            listed = [{"id": BASE_TIER, "title": "The season", "description": "", "price_cents": campaign.price_cents}]
        return listed


def _tier_price(session: Session, campaign: Campaign, tier_id: str) -> int:
    if tier_id == BASE_TIER:
        return campaign.price_cents
    tier = session.scalar(
        select(CampaignTier).where(CampaignTier.campaign_id == campaign.id, CampaignTier.tier_id == tier_id)
    )
    if tier is None:
        raise InvalidInputError(f"This campaign has no reward tier {tier_id!r}.", code="unknown_tier")
    return tier.price_cents


def _tier_of(session: Session, pledge_id: str) -> str:
    row = session.get(PledgeTier, pledge_id)
    return row.tier_id if row is not None else BASE_TIER


class PledgeChanges:
    def __init__(self, db: Database, provider: PaymentProvider) -> None:
        self._db = db
        self._provider = provider

    def mine(self, account_id: str, campaign_id: str) -> dict[str, Any]:
        with self._db.session() as session:
            if session.get(Campaign, campaign_id) is None:
                raise NotFoundError(f"There is no campaign {campaign_id!r} in this store.", code="unknown_campaign")
            pledge = session.scalar(
                select(Pledge).where(Pledge.campaign_id == campaign_id, Pledge.account_id == account_id)
            )
            if pledge is None or pledge.status not in (PledgeStatus.AUTHORIZED, PledgeStatus.CAPTURED):
                return {"campaign_id": campaign_id, "backed": False, "tier_id": None, "amount_cents": 0, "status": None}
            return {
                "campaign_id": campaign_id,
                "backed": True,
                "tier_id": _tier_of(session, pledge.id),
                "amount_cents": pledge.amount_cents,
                "status": str(pledge.status),
            }

    def set_tier(self, account_id: str, campaign_id: str, tier_id: str, card: Card) -> dict[str, Any]:
        """Pledge at ``tier_id``, or move an existing pledge there, or pledge again after cancelling."""
        try:
            with self._db.write() as session:
                _gate(session, campaign_id)
                campaign = session.get_one(Campaign, campaign_id)
                amount = _tier_price(session, campaign, tier_id)
                pledge = session.scalar(
                    select(Pledge).where(Pledge.campaign_id == campaign_id, Pledge.account_id == account_id)
                )
                if pledge is not None and pledge.status == PledgeStatus.PENDING:
                    raise ConflictError("Your pledge is still being processed; try again in a moment.")
                unchanged = pledge is not None and pledge.status == PledgeStatus.AUTHORIZED
                if unchanged and _tier_of(session, pledge.id) == tier_id and pledge.amount_cents == amount:  # type: ignore[union-attr]
                    return self._answer(pledge.id, tier_id, amount)  # type: ignore[union-attr]
                charge = Charge(
                    account_id=account_id,
                    bundle_id=campaign.bundle_id,
                    purpose="pledge",
                    provider=self._provider.name,
                    amount_cents=amount,
                    currency=campaign.currency,
                )
                session.add(charge)
                session.flush()
                fresh = pledge is None
                if fresh:
                    pledge = Pledge(
                        campaign_id=campaign_id, account_id=account_id, charge_id=charge.id, amount_cents=amount
                    )
                    session.add(pledge)
                    session.flush()
                    session.add(PledgeTier(pledge_id=pledge.id, tier_id=tier_id))
                assert pledge is not None
                pledge_id, charge_id, currency = pledge.id, charge.id, campaign.currency
        except IntegrityError as exc:
            raise ConflictError("Your pledge is still being processed; try again in a moment.") from exc
        try:
            self._provider.authorize(charge_id, card, amount, currency)
        except PaymentError:
            with self._db.write() as session:
                session.get_one(Charge, charge_id).status = ChargeStatus.DECLINED
                if fresh:
                    session.delete(session.get_one(Pledge, pledge_id))
            raise
        if fresh:
            with self._db.write() as session:
                if mark_pledge_authorized(session, pledge_id):
                    return self._answer(pledge_id, tier_id, amount)
            self._void_charge(charge_id)  # settled as never made by a close meanwhile
            raise _closed()
        return self._swap(campaign_id, pledge_id, charge_id, tier_id, amount)

    def _swap(self, campaign_id: str, pledge_id: str, charge_id: str, tier_id: str, amount: int) -> dict[str, Any]:
        """Make the new authorization the pledge's (change tier, or pledge again), then void the old one."""
        try:
            with self._db.write() as session:
                _gate(session, campaign_id)
                pledge = session.get_one(Pledge, pledge_id)
                old_charge, old_amount, was_active = (
                    pledge.charge_id,
                    pledge.amount_cents,
                    pledge.status == PledgeStatus.AUTHORIZED,
                )
                if pledge.status not in (PledgeStatus.AUTHORIZED, PledgeStatus.VOIDED):
                    raise _closed()
                pledge.charge_id = charge_id
                pledge.amount_cents = amount
                pledge.status = PledgeStatus.AUTHORIZED
                session.get_one(Charge, charge_id).status = ChargeStatus.AUTHORIZED
                tier = session.get(PledgeTier, pledge_id)
                if tier is None:
                    session.add(PledgeTier(pledge_id=pledge_id, tier_id=tier_id))
                else:
                    tier.tier_id = tier_id
                session.execute(
                    update(Campaign)
                    .where(Campaign.id == campaign_id)
                    .values(
                        backers=Campaign.backers + (0 if was_active else 1),
                        pledged_cents=Campaign.pledged_cents + amount - (old_amount if was_active else 0),
                    )
                )
        except ConflictError:
            self._void_charge(charge_id)
            raise
        if was_active and old_charge is not None:
            self._void_charge(old_charge)
        return self._answer(pledge_id, tier_id, amount)

    def cancel(self, account_id: str, campaign_id: str) -> dict[str, Any]:
        with self._db.session() as session:
            pledge_id = session.scalar(
                select(Pledge.id).where(Pledge.campaign_id == campaign_id, Pledge.account_id == account_id)
            )
        self.cancel_pledge(campaign_id, pledge_id)
        return {"campaign_id": campaign_id, "backed": False, "tier_id": None, "amount_cents": 0, "status": None}

    def cancel_pledge(self, campaign_id: str, pledge_id: str | None) -> None:
        """Cancel an authorized pledge of an open campaign (the backer's cancel, or its creator's "refund" of a
        pledge not charged yet): out of ``authorized``, out of the campaign's totals, its card hold voided."""
        with self._db.write() as session:
            _gate(session, campaign_id)
            pledge = None if pledge_id is None else session.get(Pledge, pledge_id)
            if pledge is None or pledge.status != PledgeStatus.AUTHORIZED:
                raise NotFoundError("You have not backed this campaign.", code="not_backed")
            pledge.status = PledgeStatus.VOIDED
            session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id)
                .values(backers=Campaign.backers - 1, pledged_cents=Campaign.pledged_cents - pledge.amount_cents)
            )
            charge_id = pledge.charge_id
        if charge_id is not None:
            self._void_charge(charge_id)

    def _void_charge(self, charge_id: str) -> None:
        """Release a card hold that is no longer the pledge's (closing never captures it: no pledge points to it)."""
        self._provider.void(charge_id)
        with self._db.write() as session:
            session.get_one(Charge, charge_id).status = ChargeStatus.VOIDED

    def _answer(self, pledge_id: str, tier_id: str, amount: int) -> dict[str, Any]:
        return {
            "pledge_id": pledge_id,
            "backed": True,
            "tier_id": tier_id,
            "amount_cents": amount,
            "status": "authorized",
        }
