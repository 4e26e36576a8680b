"""Issuing licenses: the signed token that opens a bundle's locked files, written as a ``License`` row.

A purchase, an e-mail confirmation or a free claim opens the files the bundle has now (a *files* grant with one
derived key per locked file); a campaign pledge is a season pass (a *bundle* grant carrying the bundle key, so
episodes released later open too). When a files grant would not fit the token's size limit, the bundle grant
is used instead. Runs inside the caller's transaction, on its thread.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.bundle import Grant, MalformedError, issue_license
from storefront.config import StoreConfig
from storefront.errors import NotFoundError
from storefront.keys import StoreKeys
from storefront.models import BundleFile, BundleKey, License, new_id


class LicenseIssuer:
    def __init__(self, config: StoreConfig, keys: StoreKeys) -> None:
        self._config = config
        self._keys = keys

    def bundle_key(self, session: Session, bundle_id: str) -> bytes:
        row = session.get(BundleKey, bundle_id)
        if row is None:
            raise NotFoundError(f"bundle {bundle_id!r} has no key on this store", code="bundle_key_missing")
        return self._keys.unwrap(row.wrapped_key)

    def issue(
        self,
        session: Session,
        *,
        account_id: str,
        bundle_id: str,
        source: str,
        charge_id: str | None = None,
        season: bool = False,
    ) -> License:
        """Sign a license and add its row to ``session`` (the caller's transaction commits it)."""
        bundle_key = self.bundle_key(session, bundle_id)
        locked = list(
            session.scalars(
                select(BundleFile.path).where(BundleFile.bundle_id == bundle_id, BundleFile.locked.is_(True))
            )
        )
        license_id = new_id()
        now = dt.datetime.now(dt.UTC)
        token = None
        if not season and locked:
            try:
                _, token = issue_license(
                    self._keys.signing,
                    store_id=self._config.store_id,
                    account_id=account_id,
                    bundle_id=bundle_id,
                    grant=Grant.for_files(bundle_key, locked),
                    license_id=license_id,
                    issued_at=int(now.timestamp()),
                )
            except MalformedError:  # too many files for one token: the whole-bundle grant is small
                token = None
        if token is None:
            _, token = issue_license(
                self._keys.signing,
                store_id=self._config.store_id,
                account_id=account_id,
                bundle_id=bundle_id,
                grant=Grant.whole_bundle(bundle_key),
                license_id=license_id,
                issued_at=int(now.timestamp()),
            )
        row = License(
            id=license_id,
            account_id=account_id,
            bundle_id=bundle_id,
            source=source,
            charge_id=charge_id,
            token=token,
            issued_at=now,
        )
        session.add(row)
        return row
