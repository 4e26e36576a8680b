"""An account's standing pledges, whatever computer or web page made them: the "my pledges" listing.

A pledge stands while its card hold is authorized (the campaign is open or closing) or once it was captured (the
campaign reached its goal); a cancelled pledge, one the campaign voided when it failed, and one whose payment
never finished are not the fan's backing and are not listed. Each entry names the campaign, its bundle, the
tier the pledge is at now (``base`` without a tier row: the campaign's one price), the amount and the state.
Blocking reads; runs on the API's worker threads.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storefront.db import Database
from storefront.models import Campaign, Pledge, PledgeStatus, PledgeTier

BASE_TIER = "base"  # the same name storefront.pledge_changes gives a pledge at the campaign's price
STANDING = (PledgeStatus.AUTHORIZED, PledgeStatus.CAPTURED)


def account_pledges(db: Database, account_id: str) -> list[dict[str, Any]]:
    """The account's standing pledges, oldest first."""
    with db.session() as session:
        rows = session.execute(
            select(Pledge, Campaign.bundle_id, Campaign.currency, PledgeTier.tier_id)
            .join(Campaign, Campaign.id == Pledge.campaign_id)
            .outerjoin(PledgeTier, PledgeTier.pledge_id == Pledge.id)
            .where(Pledge.account_id == account_id, Pledge.status.in_(STANDING))
            .order_by(Pledge.created_at, Pledge.id)
        )
        return [
            {
                "campaign_id": pledge.campaign_id,
                "bundle_id": bundle_id,
                "tier_id": tier_id or BASE_TIER,
                "amount_cents": pledge.amount_cents,
                "currency": currency,
                "state": str(pledge.status),
            }
            for pledge, bundle_id, currency, tier_id in rows
        ]
