"""Creator endpoints (the creator API): the role (``/creators/me``), publishing (drafts, piece-verified resumable
upload, publish, releases), the bundle key, updates, the dashboard and the money report, refunds (a sale or a
charged pledge), subscribers (JSON, CSV).

Every call needs a session; every call but ``POST /creators/me`` needs the creator role (403 ``not_creator``) and,
for a bundle, that it is the caller's (403 ``not_your_bundle``). Sync endpoints run on the worker threads; the
upload endpoint reads its body on the event loop and does its work on a worker.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from storefront.api.creator_schemas import CreatorBody, DraftBody, ReleaseBody, UpdateBody
from storefront.api.deps import AccountId, Services
from storefront.api.schemas import CreatorReport, ErrorAnswer, SubscriberExport, documented
from storefront.creator_dashboard import dashboard as build_dashboard
from storefront.creator_dashboard import subscribers_csv
from storefront.creator_updates import list_updates, post_update
from storefront.creators import become_creator, creator_profile, require_creator, require_own_bundle
from storefront.drafts import MAX_CHUNK, Drafts
from storefront.errors import InvalidInputError, NotFoundError
from storefront.models import Bundle, Charge, ChargeStatus
from storefront.refunds import refund_sale

router = APIRouter(tags=["creators"])


def current_creator(services: Services, account_id: AccountId) -> str:
    """The signed-in account, if it is a creator (403 ``not_creator``) — checked before the body is validated,
    so an account without the role hears that first, whatever it sent."""
    with services.db.session() as session:
        require_creator(session, account_id)
    return account_id


CreatorId = Annotated[str, Depends(current_creator)]


def _drafts(services: Any) -> Drafts:
    return Drafts(services.config, services.db, services.keys)


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


class CsvResponse(Response):
    media_type = "text/csv"


@router.get(
    "/creators/bundles/{bundle_id}/subscribers.csv",
    response_class=CsvResponse,
    responses={
        200: {
            "description": "The bundle's subscribers as CSV (e-mail, consent, when), a header row first",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        403: {"model": ErrorAnswer},
    },
)
def subscribers_as_csv(bundle_id: str, services: Services, account_id: AccountId) -> Response:
    rows = services.gates.subscribers(account_id, bundle_id)
    return CsvResponse(
        subscribers_csv(rows),
        headers={"Content-Disposition": f'attachment; filename="{bundle_id}-subscribers.csv"'},
    )


# --- the role ----------------------------------------------------------------------------------------------


@router.post("/creators/me")
def become(services: Services, account_id: AccountId, body: CreatorBody) -> dict[str, Any]:
    return become_creator(services.db, account_id, body.display_name)


@router.get("/creators/me")
def me(services: Services, account_id: AccountId) -> dict[str, Any]:
    profile = creator_profile(services.db, account_id)
    return {"creator": profile is not None, **(profile or {"account_id": account_id, "display_name": None})}


# --- publishing ----------------------------------------------------------------------------------------------


_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorAnswer, "description": "Not a creator, or not your bundle"}
}


@router.post("/creators/drafts", status_code=201, responses=_REFUSED)
def create_draft(services: Services, account_id: CreatorId, body: DraftBody) -> dict[str, Any]:
    return _drafts(services).create(account_id, body.as_json())


@router.post(
    "/creators/bundles/{bundle_id}/releases",
    status_code=201,
    responses={**_REFUSED, 409: {"model": ErrorAnswer, "description": "That release is already published"}},
)
def create_release(bundle_id: str, services: Services, account_id: AccountId, body: ReleaseBody) -> dict[str, Any]:
    return _drafts(services).create_release(account_id, bundle_id, body.as_json())


@router.get("/creators/drafts/{draft_id}")
def draft_status(draft_id: str, services: Services, account_id: AccountId) -> dict[str, Any]:
    return _drafts(services).status(account_id, draft_id)


@router.put("/creators/drafts/{draft_id}/files/{index}")
async def upload(  # noqa: PLR0917 - FastAPI passes path, query and dependencies by name
    draft_id: str,
    index: int,
    request: Request,
    services: Services,
    account_id: AccountId,
    offset: Annotated[int, Query(ge=0)],
) -> dict[str, Any]:
    declared = int(request.headers.get("content-length") or 0)
    if declared > MAX_CHUNK:
        raise InvalidInputError(f"Send at most {MAX_CHUNK // (1024 * 1024)} MB per request.", code="too_large")
    data = await request.body()
    return await run_in_threadpool(_drafts(services).upload, account_id, draft_id, index, offset, data)


@router.post("/creators/drafts/{draft_id}/publish")
def publish(draft_id: str, services: Services, account_id: AccountId) -> dict[str, Any]:
    return _drafts(services).finish(account_id, draft_id)


@router.delete("/creators/drafts/{draft_id}", status_code=204)
def abandon(draft_id: str, services: Services, account_id: AccountId) -> Response:
    _drafts(services).abandon(account_id, draft_id)
    return Response(status_code=204)


@router.get("/creators/bundles/{bundle_id}/key")
def bundle_key(bundle_id: str, services: Services, account_id: AccountId) -> dict[str, Any]:
    """The bundle key, for its creator only (to encrypt a release on another machine)."""
    with services.db.session() as session:
        require_own_bundle(session, account_id, bundle_id)
        key = services.issuer.bundle_key(session, bundle_id)
    return {"bundle_id": bundle_id, "bundle_key": base64.b64encode(key).decode("ascii")}


# --- updates and the dashboard -------------------------------------------------------------------------------


@router.post("/creators/bundles/{bundle_id}/updates", status_code=201, responses=_REFUSED)
def new_update(bundle_id: str, services: Services, account_id: AccountId, body: UpdateBody) -> dict[str, Any]:
    return post_update(services.db, account_id, bundle_id, body.title, body.body)


@router.get("/bundles/{bundle_id}/updates")
def updates(bundle_id: str, services: Services) -> dict[str, Any]:
    return {"bundle_id": bundle_id, "updates": list_updates(services.db, bundle_id)}


@router.post(
    "/creators/sales/{charge_id}/refund",
    responses={
        **_REFUSED,
        402: {"model": ErrorAnswer, "description": "The payment service refused the refund"},
        409: {"model": ErrorAnswer, "description": "Never paid (declined, voided), or its campaign is closing"},
        503: {"model": ErrorAnswer, "description": "The payment service cannot be reached; nothing was refunded"},
    },
)
def refund(charge_id: str, services: Services, account_id: AccountId) -> dict[str, Any]:
    """Refund a sale, or a pledge its campaign charged, of one of your bundles (the dashboard's ledger names its
    ``charge_id``); a pledge not charged yet is cancelled instead (``status: "cancelled"``); asking again answers
    the same refund (``refunded_now`` false). The license that charge paid for is revoked at the store
    (``storefront.refunds``)."""
    return refund_sale(services.db, services.provider, charge_id, by_account=account_id)


@router.get("/creators/dashboard")
def creator_dashboard(services: Services, account_id: AccountId) -> dict[str, Any]:
    return build_dashboard(services.config, services.db, services.swarm, account_id)


__all__ = ["NotFoundError", "router"]
