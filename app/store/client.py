"""`StoreClient`: one verb per call of the store's HTTP API (docs/CONTRACTS.md), returning frozen dataclasses.

Blocking; the UI calls it from worker threads (several at once is fine, see `transport`). Authenticated verbs take
the account token as their first argument, so one client serves any number of concurrent calls without shared
mutable state. Purchases and pledges carry an Idempotency-Key — a fresh one per call unless the caller passes the
key of an earlier attempt that ended in doubt (StoreUnreachable) — and are retried with that same key.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

from app.store import live, parsing
from app.store.errors import SessionExpired, StoreError, WrongCredentials
from app.store.models import (
    AccountCreated,
    AccountPledge,
    BundleDetail,
    Campaign,
    Card,
    CatalogPage,
    CreatorReportLine,
    EmailCodeSent,
    PledgeResult,
    PurchaseResult,
    SignInResult,
    StoreInfo,
    Subscriber,
)
from app.store.transport import DEFAULT_USER_AGENT, RetryPolicy, Transport

MAX_TORRENT_BYTES = 32 * 1024 * 1024  # a .torrent of a huge bundle with v2 piece layers stays far below this
MAX_COVER_BYTES = 8 * 1024 * 1024


def _seg(value: str) -> str:
    """One path segment: ids come from the store's own answers, but '../' in an id must not steer our request."""
    return quote(value, safe="")


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class StoreClient:
    """The store's API as blocking verbs. Raises `app.store.errors.StoreError` subclasses only."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: tuple[float, float] = (3.05, 15),
        user_agent: str = DEFAULT_USER_AGENT,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._http = Transport(base_url, timeout=timeout, user_agent=user_agent, retry=retry or RetryPolicy())

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> StoreClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public catalog ---------------------------------------------------------------------------------------

    def store_info(self) -> StoreInfo:
        return parsing.store_info(self._http.request("GET", "/store"))

    def public_key(self) -> tuple[str, str]:
        """(store_id, base64 Ed25519 public key) — the key that signs this store's licenses and manifests."""
        return parsing.public_key(self._http.request("GET", "/public-key"))

    def catalog(
        self,
        *,
        q: str | None = None,
        kind: str | None = None,
        sort: str = "newest",
        page: int = 1,
        per_page: int = 24,
    ) -> CatalogPage:
        params: dict[str, str | int] = {"sort": sort, "page": page, "per_page": per_page}
        if q:
            params["q"] = q
        if kind:
            params["kind"] = kind
        return parsing.catalog_page(self._http.request("GET", "/catalog", params=params))

    def bundle(self, bundle_id: str) -> BundleDetail:
        return parsing.bundle_detail(self._http.request("GET", f"/bundles/{_seg(bundle_id)}"))

    def campaign(self, campaign_id: str) -> Campaign:
        return parsing.campaign(self._http.request("GET", f"/campaigns/{_seg(campaign_id)}"))

    def download_torrent(self, bundle_id: str) -> bytes:
        """The bundle's .torrent (bencoded); the caller checks its info-hash against the signed manifest."""
        data: bytes = self._http.request(
            "GET", f"/bundles/{_seg(bundle_id)}/torrent", raw=True, max_bytes=MAX_TORRENT_BYTES
        )
        if not data.startswith(b"d"):
            raise StoreError("The store sent a broken .torrent file.", detail=f"bundle {bundle_id}: not bencoded")
        return data

    def fetch_cover(self, url: str) -> bytes:
        """Image bytes of a cover; `url` as the catalog gave it (absolute, or relative to the store)."""
        data: bytes = self._http.request("GET", self._http.resolve(url), raw=True, max_bytes=MAX_COVER_BYTES)
        return data

    # --- account ----------------------------------------------------------------------------------------------

    def create_account(self, email: str, password: str) -> AccountCreated:
        answer = self._http.request("POST", "/accounts", body={"email": email, "password": password})
        return parsing.account_created(answer)

    def sign_in(self, email: str, password: str) -> SignInResult:
        answer = self._http.request(
            "POST", "/sessions", body={"email": email, "password": password}, unauthorized=WrongCredentials
        )
        return parsing.sign_in(answer)

    def sign_out(self, token: str) -> None:
        self._http.request("DELETE", "/sessions", token=token, unauthorized=SessionExpired)

    def licenses(self, token: str) -> tuple[str, ...]:
        """Every license token of the account (restore purchases). Unverified: the vault verifies."""
        return parsing.licenses(self._http.request("GET", "/licenses", token=token, unauthorized=SessionExpired))

    # --- gates ------------------------------------------------------------------------------------------------

    def claim(self, token: str, bundle_id: str) -> str:
        """A free bundle's license token."""
        answer = self._http.request(
            "POST", f"/bundles/{_seg(bundle_id)}/claim", token=token, unauthorized=SessionExpired
        )
        return parsing.license_token(answer, "claim")

    def request_email_code(self, token: str, bundle_id: str, email: str) -> EmailCodeSent:
        """Ask for the e-mail gate's confirmation code (double opt-in: the user consents here)."""
        answer = self._http.request(
            "POST",
            f"/bundles/{_seg(bundle_id)}/email",
            body={"email": email, "consent": True},
            token=token,
            unauthorized=SessionExpired,
        )
        return parsing.email_code_sent(answer)

    def confirm_email(self, token: str, bundle_id: str, email: str, code: str) -> str:
        answer = self._http.request(
            "POST",
            f"/bundles/{_seg(bundle_id)}/email/confirm",
            body={"email": email, "code": code.strip()},
            token=token,
            unauthorized=SessionExpired,
        )
        return parsing.license_token(answer, "email_confirm")

    def purchase(
        self,
        token: str,
        bundle_id: str,
        card: Card,
        *,
        amount_cents: int | None = None,
        idempotency_key: str | None = None,
    ) -> PurchaseResult:
        """Buy a paid or pay-what-you-want bundle. Retried safely: every attempt carries the same key."""
        body: dict[str, object] = {"bundle_id": bundle_id, "card": card.as_json()}
        if amount_cents is not None:
            body["amount_cents"] = amount_cents
        answer = self._http.request(
            "POST",
            "/purchases",
            body=body,
            token=token,
            idempotency_key=idempotency_key or new_idempotency_key(),
            unauthorized=SessionExpired,
        )
        return parsing.purchase(answer)

    def pledge(self, token: str, campaign_id: str, card: Card, *, idempotency_key: str | None = None) -> PledgeResult:
        """Back a campaign: the card is authorized now, charged only if the campaign reaches its goal."""
        answer = self._http.request(
            "POST",
            f"/campaigns/{_seg(campaign_id)}/pledges",
            body={"card": card.as_json()},
            token=token,
            idempotency_key=idempotency_key or new_idempotency_key(),
            unauthorized=SessionExpired,
        )
        return parsing.pledge(answer)

    def my_pledges(self, token: str) -> tuple[AccountPledge, ...]:
        """The account's standing pledges, whichever computer or web page made them."""
        return parsing.account_pledges(
            self._http.request("GET", "/me/pledges", token=token, unauthorized=SessionExpired))

    def creator_report(self, token: str) -> tuple[CreatorReportLine, ...]:
        answer = self._http.request("GET", "/creators/report", token=token, unauthorized=SessionExpired)
        return parsing.creator_report(answer)

    def subscribers(self, token: str, bundle_id: str) -> tuple[Subscriber, ...]:
        """The consenting addresses of a creator's e-mail-gated bundle (Forbidden for anyone else)."""
        answer = self._http.request(
            "GET", f"/creators/bundles/{_seg(bundle_id)}/subscribers", token=token, unauthorized=SessionExpired
        )
        return parsing.subscribers(answer)

    # --- live (issue 9) ---------------------------------------------------------------------------------------

    def live_listing(self) -> live.LiveListing:
        """The broadcasts on the air now and the upcoming ones (soonest first)."""
        return live.fetch_listing(self._http)

    def create_live(self, token: str, event: live.NewLiveEvent) -> live.LiveCreated:
        """Announce a live event (creator session): the store makes its stream id and key and lists it."""
        return live.post_live(self._http, token, event, unauthorized=SessionExpired)

    def set_live_state(self, token: str, bundle_id: str, state: live.LiveState | str) -> live.LiveState:
        """Put the creator's own live event on the air, or end it."""
        path = f"/creator/live/{_seg(bundle_id)}/state"
        return live.put_state(self._http, token, path, live.LiveState(state), unauthorized=SessionExpired)
