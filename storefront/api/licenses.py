"""``GET /licenses``: the signed-in account's licenses (restore purchases on a new machine) — its own only."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from storefront.api.deps import AccountId, Services
from storefront.api.schemas import LicenseList, documented
from storefront.models import License

router = APIRouter(tags=["licenses"])


@router.get("/licenses", response_model=None, responses=documented(200, LicenseList, 401))
def my_licenses(services: Services, account_id: AccountId) -> dict[str, list[str]]:
    with services.db.session() as session:
        tokens = session.scalars(
            select(License.token).where(License.account_id == account_id).order_by(License.issued_at)
        )
        return {"licenses": list(tokens)}
