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
from storefront.errors import NotFoundError, PaymentFailedError
from storefront.licensing import LicenseIssuer
from storefront.models import Campaign, CampaignState, Charge, ChargeStatus, License, Pledge, PledgeStatus, utcnow
from storefront.payments import PaymentProvider
from storefront.payments.provider import PaymentError

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

    # Two closers may settle the same campaign at once — the server's housekeeping resumes a `closing` campaign
    # while the creator's `campaign close` runs — so each step re-reads the pledge, and only the closer whose
    # conditional update moves it out of `authorized` writes the outcome (and issues the license).

    def _capture(self, pledge_id: str) -> None:
        with self._db.session() as session:
            pledge = session.get_one(Pledge, pledge_id)
            campaign = session.get_one(Campaign, pledge.campaign_id)
            if pledge.status != PledgeStatus.AUTHORIZED:
                return  # another closer settled it
            held = None
            if pledge.account_id is not None:
                held = session.scalar(
                    select(License).where(
                        License.account_id == pledge.account_id, License.bundle_id == campaign.bundle_id
                    )
                )
            if held is not None and pledge.charge_id is not None and held.charge_id == pledge.charge_id:
                return  # the license is this pledge's own: another closer captured it a moment ago
        if held is not None:  # already holds the bundle (bought it): never charge for it twice
            self._void(pledge_id)
            return
        fee = 0
        if pledge.charge_id is not None:
            try:
                fee = self._provider.capture(pledge.charge_id).fee_cents  # idempotent: a second capture is a no-op
            except PaymentFailedError:  # Stripe: the hold expired and the off-session charge was declined
                log.warning("pledge %s could not be charged at close; it is voided, no license", pledge_id)
                with self._db.write() as session:
                    if _moved(session, pledge_id, PledgeStatus.VOIDED):
                        session.get_one(Charge, pledge.charge_id).status = ChargeStatus.DECLINED
                return
        with self._db.write() as session:
            if not _moved(session, pledge_id, PledgeStatus.CAPTURED):
                return
            row = session.get_one(Pledge, pledge_id)
            if row.charge_id is not None:
                charge = session.get_one(Charge, row.charge_id)
                charge.status = ChargeStatus.CAPTURED
                charge.fee_cents = fee
            owned = row.account_id is not None and session.scalar(
                select(License.id).where(License.account_id == row.account_id, License.bundle_id == campaign.bundle_id)
            )
            if row.account_id is not None and not owned:  # bought meanwhile: keep the one license they hold
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
            if pledge.status != PledgeStatus.AUTHORIZED:
                return  # another closer settled it
        if pledge.charge_id is not None:
            try:
                self._provider.void(pledge.charge_id)
            except PaymentError:
                with self._db.session() as session:
                    if session.get_one(Pledge, pledge_id).status != PledgeStatus.AUTHORIZED:
                        return  # captured by another closer in the meantime: its outcome stands
                raise
        with self._db.write() as session:
            if _moved(session, pledge_id, PledgeStatus.VOIDED):
                row = session.get_one(Pledge, pledge_id)
                if row.charge_id is not None:
                    session.get_one(Charge, row.charge_id).status = ChargeStatus.VOIDED


def _moved(session: Session, pledge_id: str, outcome: PledgeStatus) -> bool:
    """Move an authorized pledge to ``outcome``; False if another closer got there first (row lock, then
    the condition is evaluated again)."""
    moved = session.execute(
        update(Pledge)
        .where(Pledge.id == pledge_id, Pledge.status == PledgeStatus.AUTHORIZED)
        .values(status=outcome)
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]
