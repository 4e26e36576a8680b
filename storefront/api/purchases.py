"""``POST /purchases``: buy a bundle with a card; an ``Idempotency-Key`` header is required."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from storefront.api.deps import AccountId, Services
from storefront.api.schemas import IdempotencyKey, PurchaseBody, PurchaseDone, documented
from storefront.idempotency import validate_key
from storefront.purchases import PurchaseRequest

router = APIRouter(tags=["purchases"])


@router.post(
    "/purchases",
    status_code=201,
    response_model=None,
    responses=documented(201, PurchaseDone, 400, 401, 402, 404, 409, 422),
)
def purchase(
    body: PurchaseBody,
    services: Services,
    account_id: AccountId,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    key = validate_key(idempotency_key)
    request = PurchaseRequest(bundle_id=body.bundle_id, card=body.card.to_card(), amount_cents=body.amount_cents)
    answer = services.purchases.purchase(account_id, key, request)
    return JSONResponse(answer.body, status_code=answer.status)
