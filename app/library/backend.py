"""The store as the window sees it: one store's catalog plus the fan's account and licenses, as blocking verbs.

``StoreBackend`` narrows ``app.store``'s ``StoreAccount`` (account flows, vault) and ``StoreClient`` (catalog)
to what the Store and Library pages need, so the pages depend on one small surface. Every method blocks
(HTTP, keyring): call them through the task runner, never on the main thread. Errors are
``app.store.errors.StoreError`` subclasses with a ``user_message``. Without a usable keyring, browsing and
free content still work: the license reads answer "none" instead of failing.

The account is opened lazily by the first call (``open_account`` may start the embedded demo store and wait
for it), once, under a lock; until it succeeds every call raises the opener's error.

Worker threads only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.bundle import License
from app.store.account import StoreAccount
from app.store.client import StoreClient
from app.store.errors import (
    AuthRequired,
    MalformedResponse,
    RateLimited,
    StoreServerError,
    StoreUnreachable,
    VaultUnavailable,
)
from app.store.live import LiveListing
from app.store.models import BundleDetail, Card, CatalogPage, EmailCodeSent, PledgeResult, StoreInfo

log = logging.getLogger(__name__)

CATALOG_PAGE_SIZE = 60  # cards per request; the grid asks for the next page when the fan scrolls to the end


class StoreBackend:
    def __init__(self, open_account: Callable[[], StoreAccount]) -> None:
        self._open_account = open_account
        self._opened: StoreAccount | None = None
        self._lock = threading.Lock()
        self._backed: frozenset[str] = frozenset()  # the account's pledged bundles, as the store last said

    @property
    def _account(self) -> StoreAccount:
        with self._lock:
            if self._opened is None:
                self._opened = self._open_account()
            return self._opened

    @property
    def _client(self) -> StoreClient:
        return self._account.client

    @property
    def base_url(self) -> str:
        return self._client.base_url

    def connect(self) -> StoreInfo:
        """Open the store (starting the embedded one if needed), then pin or check its signing key."""
        return self._account.connect()

    def public_key(self) -> Ed25519PublicKey:
        if self._account.info is None:
            self._account.connect()
        return self._account.store_key

    def catalog(self, query: str, kind: str | None, page: int = 1) -> CatalogPage:
        """One page of the catalog (``CATALOG_PAGE_SIZE`` cards), 1-based."""
        return self._client.catalog(q=query or None, kind=kind, page=page, per_page=CATALOG_PAGE_SIZE)

    def bundle(self, bundle_id: str) -> BundleDetail:
        return self._client.bundle(bundle_id)

    def live_listing(self) -> LiveListing:
        """The broadcasts on the air and the upcoming ones (issue 9)."""
        return self._client.live_listing()

    def fetch_cover(self, url: str) -> bytes:
        return self._client.fetch_cover(url)

    def download_torrent(self, bundle_id: str) -> bytes:
        return self._client.download_torrent(bundle_id)

    def session_token(self) -> str:
        """The signed-in session's token for the creator API (keyring: blocking); ``AuthRequired`` signed out."""
        account = self._account.current_account()
        if account is None:
            raise AuthRequired()
        return account.token

    def account_email(self) -> str | None:
        account = self._account.current_account()
        return account.email if account else None

    def sign_up(self, email: str, password: str) -> None:
        self._account.sign_up(email, password)

    def sign_in(self, email: str, password: str) -> None:
        self._account.sign_in(email, password)

    def sign_out(self) -> None:
        self._account.sign_out()

    def claim(self, bundle_id: str) -> License:
        return self._account.claim(bundle_id)

    def request_email_code(self, bundle_id: str, email: str) -> EmailCodeSent:
        return self._account.request_email_code(bundle_id, email)

    def confirm_email(self, bundle_id: str, email: str, code: str) -> License:
        return self._account.confirm_email(bundle_id, email, code)

    def buy(self, bundle_id: str, card: Card, amount_cents: int | None) -> License:
        return self._account.buy(bundle_id, card, amount_cents=amount_cents).license

    def pledge(self, campaign_id: str, card: Card) -> PledgeResult:
        return self._account.pledge(campaign_id, card)

    def licenses(self) -> list[License]:
        try:
            return self._account.licenses()
        except VaultUnavailable:
            return []

    def sync_licenses(self) -> None:
        """Keep the licenses the store issued since this computer last asked — a campaign that reached its goal
        (its season licenses), a purchase made on another computer. Best effort: signed out, offline or with an
        expired session, the licenses already here stand. A store whose key changed still raises."""
        account = self._account
        try:
            if account.current_account() is None:
                return
            account.restore_purchases()
        except (StoreUnreachable, StoreServerError, MalformedResponse, RateLimited, AuthRequired,
                VaultUnavailable) as exc:
            log.info("licenses not refreshed from the store: %s", type(exc).__name__)

    def backed_bundles(self, *, sync: bool = True) -> frozenset[str]:
        """The bundles whose campaign this account backed — here, on another computer or on the web (``sync``: ask
        the store; else its last answer). Best effort like ``sync_licenses``: offline, rate-limited or with an
        expired session the last answer stands; signed out there is none."""
        if not sync:
            return self._backed
        account = self._account
        try:
            if account.current_account() is None:
                self._backed = frozenset()
            else:
                self._backed = frozenset(pledge.bundle_id for pledge in account.pledges())
        except (StoreUnreachable, StoreServerError, MalformedResponse, RateLimited, AuthRequired,
                VaultUnavailable) as exc:
            log.info("pledges not refreshed from the store: %s", type(exc).__name__)
        return self._backed

    def licenses_for_bundle(self, bundle_id: str) -> list[License]:
        try:
            return self._account.licenses_for_bundle(bundle_id)
        except VaultUnavailable:
            return []
