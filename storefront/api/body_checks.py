"""The service's own checks of a request body, for the answer when the body fails the schema.

The creator routes' request models (``storefront.api.creator_schemas``) put the service's limits in the API
document, so pydantic refuses a bad body before the endpoint runs. The refusal should still be the service's
sentence and code ("The title has 10,000 characters; at most 200 fit."), not pydantic's: ``service_refusal``
runs the route's check on the raw body and returns the ``InvalidInputError`` it raises, if any (``None`` when the
check passes — the schema is stricter there — and the generic answer stands). Pure; any thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storefront.creator_updates import check_update
from storefront.creators import check_display_name
from storefront.draft_checks import check_draft
from storefront.errors import InvalidInputError
from storefront.live_checks import check_live, check_state


def _draft(body: dict[str, Any]) -> None:
    check_draft(body)


def _release(body: dict[str, Any]) -> None:
    check_draft(body, release=True)


def _update(body: dict[str, Any]) -> None:
    check_update(body.get("title"), body.get("body"))


def _creator(body: dict[str, Any]) -> None:
    check_display_name(body.get("display_name"))


def _live(body: dict[str, Any]) -> None:
    check_live(body)


def _live_state(body: dict[str, Any]) -> None:
    check_state(body)


# by route template, below the API's prefix
_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "/creators/me": _creator,
    "/creators/drafts": _draft,
    "/creators/bundles/{bundle_id}/releases": _release,
    "/creators/bundles/{bundle_id}/updates": _update,
    "/creator/live": _live,  # issue 9
    "/creator/live/{bundle_id}/state": _live_state,
}


def service_refusal(route_path: str, body: object) -> InvalidInputError | None:
    check = next((check for path, check in _CHECKS.items() if route_path.endswith(path)), None)
    if check is None or not isinstance(body, dict):
        return None
    try:
        check(body)
    except InvalidInputError as refusal:
        return refusal
    return None
