"""Creators' updates on their bundles (news for backers and owners): post (the bundle's creator only) and list
(anyone: an update is public, like a campaign page). Blocking; runs on the API's worker threads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storefront.creators import require_own_bundle
from storefront.db import Database
from storefront.errors import InvalidInputError, NotFoundError
from storefront.models import Bundle, CreatorUpdate

MAX_UPDATE_TITLE = 200
MAX_UPDATE_BODY = 20_000


def check_update(title: object, body: object) -> tuple[str, str]:
    """The update's title (whitespace collapsed) and text (stripped), or ``InvalidInputError`` with a sentence."""
    title = " ".join(title.split()) if isinstance(title, str) else ""
    body = body.strip() if isinstance(body, str) else ""
    if not title or not body:
        raise InvalidInputError("An update has a title and some text.", code="invalid_update")
    if len(title) > MAX_UPDATE_TITLE or len(body) > MAX_UPDATE_BODY:
        raise InvalidInputError(
            f"An update's title has at most {MAX_UPDATE_TITLE} characters and its text {MAX_UPDATE_BODY:,}.",
            code="too_long",
        )
    return title, body


def post_update(db: Database, account_id: str, bundle_id: str, title: str, body: str) -> dict[str, Any]:
    title, body = check_update(title, body)
    with db.write() as session:
        require_own_bundle(session, account_id, bundle_id)
        row = CreatorUpdate(bundle_id=bundle_id, title=title, body=body)
        session.add(row)
        session.flush()
        return _view(row)


def list_updates(db: Database, bundle_id: str) -> list[dict[str, Any]]:
    with db.session() as session:
        if session.get(Bundle, bundle_id) is None:
            raise NotFoundError(f"There is no bundle {bundle_id!r} in this store.", code="unknown_bundle")
        rows = session.scalars(
            select(CreatorUpdate).where(CreatorUpdate.bundle_id == bundle_id).order_by(CreatorUpdate.id.desc())
        )
        return [_view(row) for row in rows]


def _view(row: CreatorUpdate) -> dict[str, Any]:
    return {
        "id": row.id,
        "bundle_id": row.bundle_id,
        "title": row.title,
        "body": row.body,
        "posted_at": row.created_at.isoformat(),
    }
