"""A backer's own pledges and a campaign's reward tiers: ``GET /campaigns/{id}/tiers`` (anyone),
``GET|PUT|DELETE /campaigns/{id}/pledge`` (the signed-in backer: see it, pledge at or change to a tier, cancel),
``GET /me/pledges`` (the signed-in account's standing pledges — made in the app on any computer or on the web — so
a fan's Library and the store grid show what they backed; its own only). Sync endpoints, on the worker threads."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from storefront.account_pledges import account_pledges
from storefront.api.deps import AccountId, Services
from storefront.api.schemas import CardBody, documented
from storefront.pledge_changes import BASE_TIER, PledgeChanges, tiers

router = APIRouter(tags=["campaigns"])


class TierPledgeBody(BaseModel):
    tier_id: str = Field(default=BASE_TIER, min_length=1, max_length=64)
    card: CardBody


class AccountPledge(BaseModel):
    campaign_id: str
    bundle_id: str
    tier_id: str  # "base": the campaign's one price
    amount_cents: int
    currency: str
    state: Literal["authorized", "captured"]  # card held (campaign open or closing) / charged (goal reached)


class AccountPledgeList(BaseModel):
    pledges: list[AccountPledge]


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


@router.get("/me/pledges", response_model=None, responses=documented(200, AccountPledgeList, 401))
def my_pledges(services: Services, account_id: AccountId) -> dict[str, list[dict[str, Any]]]:
    return {"pledges": account_pledges(services.db, account_id)}
