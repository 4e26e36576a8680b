"""A backer's own pledge and a campaign's reward tiers: ``GET /campaigns/{id}/tiers`` (anyone),
``GET|PUT|DELETE /campaigns/{id}/pledge`` (the signed-in backer: see it, pledge at or change to a tier, cancel).
Sync endpoints, on the worker threads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from storefront.api.deps import AccountId, Services
from storefront.api.schemas import CardBody
from storefront.pledge_changes import BASE_TIER, PledgeChanges, tiers

router = APIRouter(tags=["campaigns"])


class TierPledgeBody(BaseModel):
    tier_id: str = Field(default=BASE_TIER, min_length=1, max_length=64)
    card: CardBody


@router.get("/campaigns/{campaign_id}/tiers")
def campaign_tiers(campaign_id: str, services: Services) -> dict[str, Any]:
    return {"campaign_id": campaign_id, "tiers": tiers(services.db, campaign_id)}


@router.get("/campaigns/{campaign_id}/pledge")
def my_pledge(campaign_id: str, services: Services, account_id: AccountId) -> dict[str, Any]:
    return PledgeChanges(services.db, services.provider).mine(account_id, campaign_id)


@router.put("/campaigns/{campaign_id}/pledge")
def set_pledge(campaign_id: str, body: TierPledgeBody, services: Services, account_id: AccountId) -> dict[str, Any]:
    changes = PledgeChanges(services.db, services.provider)
    return changes.set_tier(account_id, campaign_id, body.tier_id, body.card.to_card())


@router.delete("/campaigns/{campaign_id}/pledge")
def cancel_pledge(campaign_id: str, services: Services, account_id: AccountId) -> dict[str, Any]:
    return PledgeChanges(services.db, services.provider).cancel(account_id, campaign_id)
