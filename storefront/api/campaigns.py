"""``GET /campaigns/{id}`` (progress, for anyone) and ``POST /campaigns/{id}/pledges`` (Idempotency-Key)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from storefront.api.deps import AccountId, Services
from storefront.api.schemas import CampaignInfo, IdempotencyKey, PledgeBody, PledgeDone, documented
from storefront.idempotency import validate_key

router = APIRouter(tags=["campaigns"])


@router.get("/campaigns/{campaign_id}", response_model=None, responses=documented(200, CampaignInfo, 404))
def campaign(campaign_id: str, services: Services) -> dict[str, Any]:
    return services.campaigns.view(campaign_id)


@router.post(
    "/campaigns/{campaign_id}/pledges",
    status_code=201,
    response_model=None,
    responses=documented(201, PledgeDone, 400, 401, 402, 404, 409, 422),
)
def pledge(
    campaign_id: str,
    body: PledgeBody,
    services: Services,
    account_id: AccountId,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    key = validate_key(idempotency_key)
    answer = services.campaigns.pledge(account_id, key, campaign_id, body.card.to_card())
    return JSONResponse(answer.body, status_code=answer.status)
