"""Creator endpoints: ``GET /creators/report`` (money per bundle) and
``GET /creators/bundles/{id}/subscribers`` (the e-mail gate's consenting addresses)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select

from storefront.api.deps import AccountId, Services
from storefront.api.schemas import CreatorReport, SubscriberExport, documented
from storefront.models import Bundle, Charge, ChargeStatus

router = APIRouter(tags=["creators"])


@router.get("/creators/report", response_model=None, responses=documented(200, CreatorReport, 401))
def report(services: Services, account_id: AccountId) -> dict[str, Any]:
    fee_percent = services.config.fee_percent
    with services.db.session() as session:
        totals = (
            select(
                Charge.bundle_id,
                func.coalesce(func.sum(Charge.amount_cents), 0).label("gross"),
                func.coalesce(func.sum(Charge.fee_cents), 0).label("fees"),
            )
            .where(Charge.status == ChargeStatus.CAPTURED)
            .group_by(Charge.bundle_id)
            .subquery()
        )
        rows = session.execute(
            select(Bundle.id, Bundle.title, Bundle.downloads, totals.c.gross, totals.c.fees)
            .outerjoin(totals, totals.c.bundle_id == Bundle.id)
            .where(Bundle.creator_account_id == account_id)
            .order_by(Bundle.created_at)
        ).all()
    bundles = []
    for bundle_id, title, downloads, gross_sum, fees_sum in rows:
        gross, fees = int(gross_sum or 0), int(fees_sum or 0)
        store_fee = (gross * fee_percent + 50) // 100  # rounded to the nearest cent
        bundles.append(
            {
                "bundle_id": bundle_id,
                "title": title,
                "gross_cents": gross,
                "payment_fees_cents": fees,
                "store_fee_cents": store_fee,
                "net_cents": gross - fees - store_fee,
                "downloads": downloads,
            }
        )
    return {"bundles": bundles}


@router.get(
    "/creators/bundles/{bundle_id}/subscribers",
    response_model=None,
    responses=documented(200, SubscriberExport, 401, 403, 404),
)
def subscribers(bundle_id: str, services: Services, account_id: AccountId) -> dict[str, Any]:
    return {"bundle_id": bundle_id, "subscribers": services.gates.subscribers(account_id, bundle_id)}
