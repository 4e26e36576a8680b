"""The free and e-mail gates: ``POST /bundles/{id}/claim``, ``/email``, ``/email/confirm``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from storefront.api.deps import AccountId, Services
from storefront.api.schemas import CodeSent, EmailConfirmBody, EmailGateBody, LicenseAnswer, documented

router = APIRouter(tags=["gates"])


@router.post(
    "/bundles/{bundle_id}/claim",
    status_code=201,
    response_model=None,
    responses=documented(201, LicenseAnswer, 401, 404, 409),
)
def claim(bundle_id: str, services: Services, account_id: AccountId) -> dict[str, Any]:
    return {"license": services.gates.claim_free(account_id, bundle_id)}


@router.post(
    "/bundles/{bundle_id}/email",
    status_code=202,
    response_model=None,
    responses=documented(202, CodeSent, 401, 404, 409, 422, 429, 503),
)
def request_code(bundle_id: str, body: EmailGateBody, services: Services, account_id: AccountId) -> dict[str, Any]:
    return services.gates.request_code(account_id, bundle_id, body.email, body.consent)


@router.post(
    "/bundles/{bundle_id}/email/confirm",
    status_code=201,
    response_model=None,
    responses=documented(201, LicenseAnswer, 401, 404, 409, 422, 429),
)
def confirm(bundle_id: str, body: EmailConfirmBody, services: Services, account_id: AccountId) -> dict[str, Any]:
    return {"license": services.gates.confirm(account_id, bundle_id, body.email, body.code)}
