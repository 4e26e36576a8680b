"""All-or-nothing campaigns: pledges authorize (nothing is captured), closing captures or voids them all.

A pledge runs like a purchase (pending rows, provider authorization keyed by the charge id, then one
transaction that marks it authorized and bumps the campaign's running totals). The pledge's first write bumps
the campaign row only while it is open — the write ``campaign_close`` makes to stop pledges — so a pledge is
either in before the close (and settled with the others) or refused with ``campaign_closed``.
Closing itself lives in ``storefront.campaign_close``. Blocking; runs on the API's worker threads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.campaign_close import CampaignCloser, mark_pledge_authorized
from storefront.config import StoreConfig
from storefront.db import Database
from storefront.errors import ConflictError, NotFoundError, StoreError
from storefront.idempotency import Idempotency, StoredAnswer, request_fingerprint
from storefront.licensing import LicenseIssuer
from storefront.models import Campaign, CampaignState, Charge, ChargeStatus, Pledge, PledgeStatus, utcnow
from storefront.payments import Card, PaymentError, PaymentProvider, ProviderUnavailableError
from storefront.purchases import error_body


def campaign_view(campaign: Campaign, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    state = campaign.state
    if state == CampaignState.CLOSING:
        state = CampaignState.OPEN  # the API shows open|succeeded|failed; it is settling, not taking pledges
    return {
        "id": campaign.id,
        "bundle_id": campaign.bundle_id,
        "goal_backers": campaign.goal_backers,
        "goal_cents": campaign.goal_cents,
        "price_cents": campaign.price_cents,
        "currency": campaign.currency,
        "backers": campaign.backers,
        "pledged_cents": campaign.pledged_cents,
        "deadline": campaign.deadline.isoformat(),
        "seconds_left": max(0, int((campaign.deadline - now).total_seconds())),
        "state": str(state),
    }


def record_offline_pledges(session: Session, campaign_id: str, backers: int, cents_each: int) -> None:
    """Count pledges taken elsewhere (the demo's crowd) toward the goal; nothing to capture for them here."""
    campaign = session.get_one(Campaign, campaign_id)
    campaign.backers += backers
    campaign.pledged_cents += backers * cents_each
    campaign.offline_backers += backers
    campaign.offline_cents += backers * cents_each


def _closed() -> ConflictError:
    return ConflictError("This campaign has closed; it no longer takes pledges.", code="campaign_closed")


class Campaigns:
    def __init__(
        self,
        config: StoreConfig,
        database: Database,
        provider: PaymentProvider,
        issuer: LicenseIssuer,
        idempotency: Idempotency,
    ) -> None:
        self._config = config
        self._db = database
        self._provider = provider
        self._issuer = issuer
        self._idem = idempotency
        self._closer = CampaignCloser(config, database, provider, issuer)

    # --- reading -------------------------------------------------------------------------------------------
    def view(self, campaign_id: str) -> dict[str, Any]:
        with self._db.session() as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                raise NotFoundError(f"There is no campaign {campaign_id!r} in this store.", code="unknown_campaign")
            return campaign_view(campaign)

    # --- pledging ------------------------------------------------------------------------------------------
    def pledge(self, account_id: str, key: str, campaign_id: str, card: Card) -> StoredAnswer:
        card_hash = hashlib.sha256(card.number.encode()).hexdigest()
        claimed = self._idem.claim(
            account_id, key, request_fingerprint("pledge", campaign_id, card_hash, card.exp_month, card.exp_year)
        )
        if isinstance(claimed, StoredAnswer):
            return claimed
        try:
            return self._pledge(account_id, claimed, campaign_id, card)
        except StoreError as exc:
            if exc.status >= 500:
                self._idem.abandon(claimed)
            else:
                self._idem.finish_now(claimed, exc.status, error_body(exc))
            raise
        except BaseException:
            self._idem.abandon(claimed)
            raise

    def _pledge(self, account_id: str, record_id: int, campaign_id: str, card: Card) -> StoredAnswer:
        try:
            with self._db.write() as session:
                campaign = session.get(Campaign, campaign_id)
                if campaign is None:
                    raise NotFoundError(f"There is no campaign {campaign_id!r} in this store.", code="unknown_campaign")
                # This write is the gate: it serializes with close()'s state flip (row lock / SQLite write lock).
                opened = session.execute(
                    update(Campaign)
                    .where(
                        Campaign.id == campaign_id, Campaign.state == CampaignState.OPEN, Campaign.deadline > utcnow()
                    )
                    .values(version=Campaign.version + 1)
                )
                if opened.rowcount == 0:  # type: ignore[attr-defined]
                    raise _closed()
                charge = Charge(
                    account_id=account_id,
                    bundle_id=campaign.bundle_id,
                    purpose="pledge",
                    provider=self._provider.name,
                    amount_cents=campaign.price_cents,
                    currency=campaign.currency,
                )
                session.add(charge)
                session.flush()
                pledge = Pledge(
                    campaign_id=campaign_id,
                    account_id=account_id,
                    charge_id=charge.id,
                    amount_cents=campaign.price_cents,
                )
                session.add(pledge)
                session.flush()
                self._idem.attach_charge(session, record_id, charge.id)
                currency = campaign.currency
        except IntegrityError as exc:
            raise ConflictError("You have already backed this campaign.", code="already_pledged") from exc

        try:
            self._provider.authorize(charge.id, card, pledge.amount_cents, currency)
        except ProviderUnavailableError:
            raise
        except PaymentError:
            with self._db.write() as session:
                session.get_one(Charge, charge.id).status = ChargeStatus.DECLINED
                session.delete(session.get_one(Pledge, pledge.id))
            raise

        with self._db.write() as session:
            if mark_pledge_authorized(session, pledge.id):
                answer = StoredAnswer(201, {"pledge_id": pledge.id, "status": "authorized"})
                self._idem.finish(session, record_id, answer.status, answer.body)
                return answer
            settled = session.get_one(Pledge, pledge.id).status
        if settled in (PledgeStatus.AUTHORIZED, PledgeStatus.CAPTURED):
            answer = StoredAnswer(201, {"pledge_id": pledge.id, "status": str(settled)})
            self._idem.finish_now(record_id, answer.status, answer.body)
            return answer
        # The campaign closed while the card was being authorized and settled this pledge as never made.
        self._provider.void(charge.id)
        with self._db.write() as session:
            session.get_one(Charge, charge.id).status = ChargeStatus.VOIDED
        raise _closed()

    # --- closing (CampaignCloser does the work) -----------------------------------------------------------
    def close(self, campaign_id: str) -> str:
        return self._closer.close(campaign_id)

    def close_due(self) -> list[str]:
        return self._closer.close_due()

    def settle_pending_pledge(self, pledge_id: str) -> None:
        self._closer.settle_pending_pledge(pledge_id)
