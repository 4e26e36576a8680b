"""Closing a campaign: capture every pledge and issue season licenses if the goal is met, void them all if not.

``close`` first flips the campaign to ``closing`` with the same row write every pledge makes, so a pledge either
got in before (and is settled with the others) or is refused with ``campaign_closed``; then it waits for pledges
still talking to the provider, settles stragglers by asking the provider, and captures or voids. Every step is
idempotent, so a close that crashed resumes (``close_due`` picks ``closing`` campaigns up again). Blocking; runs on
worker threads (the server's deadline task, the ``campaign close`` CLI, reconcile).
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storefront.config import StoreConfig
from storefront.db import Database
from storefront.errors import NotFoundError
from storefront.licensing import LicenseIssuer
from storefront.models import Campaign, CampaignState, Charge, ChargeStatus, License, Pledge, PledgeStatus, utcnow
from storefront.payments import PaymentProvider

log = logging.getLogger(__name__)
_BATCH = 200


def goal_met(campaign: Campaign) -> bool:
    backers_ok = campaign.goal_backers is None or campaign.backers >= campaign.goal_backers
    amount_ok = campaign.goal_cents is None or campaign.pledged_cents >= campaign.goal_cents
    return backers_ok and amount_ok


def mark_pledge_authorized(session: Session, pledge_id: str) -> bool:
    """pending → authorized, counted in the campaign's totals; False if someone settled it first."""
    moved = session.execute(
        update(Pledge)
        .where(Pledge.id == pledge_id, Pledge.status == PledgeStatus.PENDING)
        .values(status=PledgeStatus.AUTHORIZED)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False
    pledge = session.get_one(Pledge, pledge_id)
    if pledge.charge_id is not None:
        session.get_one(Charge, pledge.charge_id).status = ChargeStatus.AUTHORIZED
    session.execute(
        update(Campaign)
        .where(Campaign.id == pledge.campaign_id)
        .values(backers=Campaign.backers + 1, pledged_cents=Campaign.pledged_cents + pledge.amount_cents)
    )
    return True


class CampaignCloser:
    def __init__(
        self, config: StoreConfig, database: Database, provider: PaymentProvider, issuer: LicenseIssuer
    ) -> None:
        self._config = config
        self._db = database
        self._provider = provider
        self._issuer = issuer

    def close_due(self) -> list[str]:
        """Close every open campaign past its deadline (and resume any close that was interrupted)."""
        with self._db.session() as session:
            due = list(
                session.scalars(
                    select(Campaign.id).where(
                        (Campaign.state == CampaignState.CLOSING)
                        | ((Campaign.state == CampaignState.OPEN) & (Campaign.deadline <= utcnow()))
                    )
                )
            )
        for campaign_id in due:
            self.close(campaign_id)
        return due

    def close(self, campaign_id: str) -> str:
        """Close now: capture all and issue season licenses if the goal is met, void all if not."""
        with self._db.write() as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                raise NotFoundError(f"There is no campaign {campaign_id!r} in this store.", code="unknown_campaign")
            if campaign.state in (CampaignState.SUCCEEDED, CampaignState.FAILED):
                return campaign.state
            campaign.state = CampaignState.CLOSING
            campaign.version += 1
        self._settle_pending(campaign_id)
        with self._db.session() as session:
            met = goal_met(session.get_one(Campaign, campaign_id))
        log.info("closing campaign %s: goal %s", campaign_id, "met" if met else "missed")
        while True:
            with self._db.session() as session:
                batch = list(
                    session.scalars(
                        select(Pledge.id)
                        .where(Pledge.campaign_id == campaign_id, Pledge.status == PledgeStatus.AUTHORIZED)
                        .limit(_BATCH)
                    )
                )
            if not batch:
                break
            settle = self._capture if met else self._void
            for pledge_id in batch:
                settle(pledge_id)
        with self._db.write() as session:
            campaign = session.get_one(Campaign, campaign_id)
            campaign.state = CampaignState.SUCCEEDED if met else CampaignState.FAILED
            campaign.closed_at = utcnow()
            return campaign.state

    def _settle_pending(self, campaign_id: str) -> None:
        """Wait for pledges still at the provider; then ask the provider about the ones that never came back."""
        deadline = time.monotonic() + self._config.idempotency_wait_s
        while time.monotonic() < deadline:
            with self._db.session() as session:
                pending = session.scalar(
                    select(func.count())
                    .select_from(Pledge)
                    .where(Pledge.campaign_id == campaign_id, Pledge.status == PledgeStatus.PENDING)
                )
            if not pending:
                return
            time.sleep(0.05)
        with self._db.session() as session:
            stragglers = list(
                session.scalars(
                    select(Pledge).where(Pledge.campaign_id == campaign_id, Pledge.status == PledgeStatus.PENDING)
                )
            )
        for pledge in stragglers:
            self.settle_pending_pledge(pledge.id)

    def settle_pending_pledge(self, pledge_id: str) -> None:
        """A pledge whose request died (or is stuck): authorized if the provider holds it, else never made."""
        with self._db.session() as session:
            pledge = session.get_one(Pledge, pledge_id)
            charge_id = pledge.charge_id
        held = self._provider.lookup(charge_id) if charge_id else None
        with self._db.write() as session:
            if held is not None and held.status == "authorized":
                mark_pledge_authorized(session, pledge_id)
                return
            moved = session.execute(
                update(Pledge)
                .where(Pledge.id == pledge_id, Pledge.status == PledgeStatus.PENDING)
                .values(status=PledgeStatus.VOIDED)
            )
            if moved.rowcount == 1 and charge_id:  # type: ignore[attr-defined]
                session.get_one(Charge, charge_id).status = ChargeStatus.FAILED

    def _capture(self, pledge_id: str) -> None:
        with self._db.session() as session:
            pledge = session.get_one(Pledge, pledge_id)
            campaign = session.get_one(Campaign, pledge.campaign_id)
        if pledge.account_id is not None:
            with self._db.session() as session:
                held = session.scalar(
                    select(License.id).where(
                        License.account_id == pledge.account_id, License.bundle_id == campaign.bundle_id
                    )
                )
            if held is not None:  # already holds the bundle: never charge for it twice
                self._void(pledge_id)
                return
        fee = 0
        if pledge.charge_id is not None:
            fee = self._provider.capture(pledge.charge_id).fee_cents
        with self._db.write() as session:
            row = session.get_one(Pledge, pledge_id)
            if row.status != PledgeStatus.AUTHORIZED:
                return
            row.status = PledgeStatus.CAPTURED
            if row.charge_id is not None:
                charge = session.get_one(Charge, row.charge_id)
                charge.status = ChargeStatus.CAPTURED
                charge.fee_cents = fee
            if row.account_id is not None:
                held = session.scalar(
                    select(License.id).where(
                        License.account_id == row.account_id, License.bundle_id == campaign.bundle_id
                    )
                )
                if held is None:
                    self._issuer.issue(
                        session,
                        account_id=row.account_id,
                        bundle_id=campaign.bundle_id,
                        source="campaign",
                        charge_id=row.charge_id,
                        season=True,
                    )

    def _void(self, pledge_id: str) -> None:
        with self._db.session() as session:
            pledge = session.get_one(Pledge, pledge_id)
        if pledge.charge_id is not None:
            self._provider.void(pledge.charge_id)
        with self._db.write() as session:
            row = session.get_one(Pledge, pledge_id)
            row.status = PledgeStatus.VOIDED
            if row.charge_id is not None:
                session.get_one(Charge, row.charge_id).status = ChargeStatus.VOIDED
