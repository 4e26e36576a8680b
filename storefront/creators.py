"""The creator role: becoming a creator (one call), and the checks every creator call makes first.

``require_creator`` refuses an account without the role (403 ``not_creator``); ``require_own_bundle`` refuses a
bundle that belongs to another creator (403 ``not_your_bundle``) or does not exist (404). Runs inside the
caller's session, on the API's worker threads.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from storefront.db import Database
from storefront.errors import ForbiddenError, InvalidInputError, NotFoundError
from storefront.models import Account, Bundle, CreatorProfile

MAX_NAME = 200


def check_display_name(display_name: object) -> str:
    """The name as it is stored (whitespace collapsed), or ``InvalidInputError`` with a sentence."""
    name = " ".join(display_name.split()) if isinstance(display_name, str) else ""
    if not name:
        raise InvalidInputError("Give the name fans will see on your bundles (display_name).", code="invalid_name")
    if len(name) > MAX_NAME:
        raise InvalidInputError(f"A creator name has at most {MAX_NAME} characters.", code="invalid_name")
    return name


def become_creator(db: Database, account_id: str, display_name: str) -> dict[str, str]:
    """Give the account the creator role (idempotent: a second call renames)."""
    name = check_display_name(display_name)
    with db.write() as session:
        session.get_one(Account, account_id)
        profile = session.get(CreatorProfile, account_id)
        if profile is None:
            profile = CreatorProfile(account_id=account_id, display_name=name)
            session.add(profile)
        else:
            profile.display_name = name
        return {"account_id": account_id, "display_name": name}


def creator_profile(db: Database, account_id: str) -> dict[str, str] | None:
    with db.session() as session:
        profile = session.get(CreatorProfile, account_id)
        return None if profile is None else {"account_id": account_id, "display_name": profile.display_name}


def require_creator(session: Session, account_id: str) -> CreatorProfile:
    profile = session.get(CreatorProfile, account_id)
    if profile is None:
        raise ForbiddenError(
            "Only creators can do this. Become a creator first (in the app, or POST /api/v1/creators/me).",
            code="not_creator",
        )
    return profile


def require_own_bundle(session: Session, account_id: str, bundle_id: str) -> Bundle:
    require_creator(session, account_id)
    bundle = session.get(Bundle, bundle_id)
    if bundle is None:
        raise NotFoundError(f"There is no bundle {bundle_id!r} in this store.", code="unknown_bundle")
    if bundle.creator_account_id != account_id:
        raise ForbiddenError("This bundle belongs to another creator.", code="not_your_bundle")
    return bundle
