"""Live endpoints: a creator announces a live event (``POST /creator/live``) and puts it on the air or ends it
(``PUT /creator/live/{bundle_id}/state``); anyone lists what is on (``GET /live``).

A live event is a bundle of kind ``live`` (``storefront.live``); its tickets are ordinary licenses through the
existing gates, and its signed manifest comes with ``GET /bundles/{id}``. Creator calls answer 403 ``not_creator``
before they look at the body, and 403 ``not_your_bundle`` for another creator's bundle. Sync endpoints, on the
worker threads.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from storefront.api.creators import CreatorId
from storefront.api.deps import Services
from storefront.api.live_schemas import LiveBody, LiveCreated, LiveListing, LiveStateAnswer, LiveStateBody
from storefront.api.schemas import ErrorAnswer
from storefront.live import LiveEvents
from storefront.live_checks import check_live, check_state

router = APIRouter(tags=["live"])


def _events(services: Any) -> LiveEvents:
    return LiveEvents(services.config, services.db, services.keys)


@router.post(
    "/creator/live",
    status_code=201,
    response_model=None,
    responses={
        201: {"model": LiveCreated, "description": "The live bundle is listed (upcoming)"},
        403: {"model": ErrorAnswer, "description": "Not a creator"},
    },
)
def create_live(services: Services, account_id: CreatorId, body: LiveBody) -> dict[str, Any]:
    request = check_live(body.model_dump(mode="json", exclude_none=True))
    return _events(services).create(account_id, request)  # the tracker learns its swarm at the first announce


@router.put(
    "/creator/live/{bundle_id}/state",
    response_model=None,
    responses={
        200: {"model": LiveStateAnswer},
        403: {"model": ErrorAnswer, "description": "Not a creator, or not your bundle"},
        409: {"model": ErrorAnswer, "description": "Not a live bundle, or the broadcast has ended"},
    },
)
def set_live_state(bundle_id: str, services: Services, account_id: CreatorId, body: LiveStateBody) -> dict[str, Any]:
    return _events(services).set_state(account_id, bundle_id, check_state(body.model_dump()))


@router.get("/live", response_model=None, responses={200: {"model": LiveListing}})
def live_listing(services: Services) -> dict[str, Any]:
    return _events(services).listing()
