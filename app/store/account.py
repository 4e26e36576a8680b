"""`StoreAccount`: the store flows the UI calls — connect, sign up/in/out, restore, claim, e-mail gate, buy, pledge.

Each verb is blocking (HTTP + keyring) and runs on a UI worker thread; the result is a frozen value or a typed
`StoreError` whose `user_message` the UI shows. `connect()` first: it reads the store's identity and pins its key
in the vault (refusing a changed key), so every license that comes back afterwards is verified against that key
before it is kept.

Decisions a user would notice:
- Signing out ends the session and removes the token, but KEEPS the licenses: a bundle bought stays playable on
  this machine (like a downloaded album). `sign_out(forget_licenses=True)` removes them too ("remove my purchases
  from this computer"); signing in again restores them either way.
- Nothing is charged unless the vault works: buy and pledge check the keyring BEFORE the card is charged, so a
  locked keyring never costs money for a license that could not be kept.
- A purchase that ended in doubt (store unreachable mid-request) keeps its Idempotency-Key; when the fan presses
  Buy again with the same card and amount, the same key goes out, so the store answers with the first attempt's
  outcome instead of charging twice.
- An expired session removes the token, so the UI shows "signed out" and asks to sign in again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.bundle import BundleError, License, load_public_key
from app.store.client import StoreClient, new_idempotency_key
from app.store.errors import (
    AlreadyOwned,
    AuthRequired,
    LicenseInvalid,
    PaymentInDoubt,
    StoreError,
    StoreUnreachable,
    VaultUnavailable,
)
from app.store.models import AccountPledge, Card, EmailCodeSent, PledgeResult, PurchaseResult, StoreInfo
from app.store.vault import AccountToken, LicenseVault

log = logging.getLogger(__name__)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class RestoreResult:
    licenses: tuple[License, ...]  # every license now kept for this store
    restored: int  # how many came from the store in this call
    rejected: int  # how many the store sent that failed verification (logged; never kept)


@dataclass(frozen=True, slots=True)
class Purchased:
    license: License
    purchase: PurchaseResult | None  # None when the bundle was already owned and its license was restored


class StoreAccount:
    """The signed-in (or not) fan at one store. `store_ref` names the store in the vault (see vault.py)."""

    def __init__(self, client: StoreClient, vault: LicenseVault, store_ref: str | None = None) -> None:
        self.client = client
        self.vault = vault
        self.store_ref = store_ref or client.base_url
        self._info: StoreInfo | None = None
        self._key: Ed25519PublicKey | None = None
        self._pending_keys: dict[str, str] = {}
        self._lock = threading.Lock()

    # --- the store's identity ---------------------------------------------------------------------------------

    def connect(self) -> StoreInfo:
        """Read the store's identity and pin its signing key (first contact) or check it against the pin.

        With no usable keyring the key is kept for this session only and browsing works; raises StoreKeyChanged
        when the store presents a different key than the one pinned.
        """
        info = self.client.store_info()
        if self.vault.available:
            try:
                key = self.vault.pin_store_key(self.store_ref, info.store_id, info.public_key)
            except VaultUnavailable:
                log.warning("keyring unusable: store key of %s kept for this session only", self.store_ref)
                key = self._session_key(info)
        else:
            key = self._session_key(info)
        with self._lock:
            self._info, self._key = info, key
        return info

    def forget_store(self) -> None:
        """Drop everything kept for this store — pinned key, sign-in, licenses — so the next `connect()` trusts
        the key it meets. The way out of StoreKeyChanged when the fan knows the store really changed its key
        (for the embedded demo store: its data folder was reset)."""
        self.vault.forget_store(self.store_ref)
        with self._lock:
            self._info, self._key = None, None
            self._pending_keys.clear()
        log.warning("forgot store %s at the fan's request: key, sign-in and licenses removed", self.store_ref)

    @staticmethod
    def _session_key(info: StoreInfo) -> Ed25519PublicKey:
        try:
            return load_public_key(info.public_key)
        except BundleError as exc:
            raise StoreError("The store sent an unusable signing key.", detail=str(exc)) from exc

    @property
    def info(self) -> StoreInfo | None:
        return self._info

    @property
    def store_key(self) -> Ed25519PublicKey:
        """The key manifests and licenses of this store must verify against (after `connect()`)."""
        if self._key is None:
            raise StoreError("Bundlecast hasn't contacted the store yet.", detail="connect() first")
        return self._key

    # --- account ----------------------------------------------------------------------------------------------

    def current_account(self) -> AccountToken | None:
        """The signed-in account kept in the keyring, or None (also when the keyring is unusable)."""
        if not self.vault.available:
            return None
        try:
            return self._live_account()
        except VaultUnavailable:
            return None

    def _live_account(self) -> AccountToken | None:
        """The kept account, unless its session has run out (then it is removed: the fan is signed out)."""
        account = self.vault.account(self.store_ref)
        if account is not None and account.expires_at is not None and account.expires_at <= datetime.now(UTC):
            log.info("session at %s expired at %s; signing out locally", self.store_ref, account.expires_at)
            self.vault.delete_account(self.store_ref)
            return None
        return account

    def sign_up(self, email: str, password: str) -> RestoreResult:
        """Create the account and sign in with it."""
        self.vault.check()  # a new account nobody can stay signed in to would only confuse
        self.client.create_account(email, password)
        return self.sign_in(email, password)

    def sign_in(self, email: str, password: str) -> RestoreResult:
        """Sign in, keep the token in the keyring, and restore every license of the account."""
        self._ensure_connected()
        self.vault.check()
        session = self.client.sign_in(email, password)
        self.vault.save_account(
            self.store_ref, AccountToken(session.token, session.account_id, email, session.expires_at)
        )
        log.info("signed in to %s as account %s", self.store_ref, session.account_id)
        return self.restore_purchases()

    def sign_out(self, *, forget_licenses: bool = False) -> None:
        """End the session at the store (best effort) and remove the token; licenses stay unless asked."""
        account = self.vault.account(self.store_ref)
        if account is not None:
            try:
                self.client.sign_out(account.token)
            except (AuthRequired, StoreUnreachable) as exc:
                # The token is going away here either way; an unreachable store expires it on its own.
                log.info("sign-out at %s not confirmed (%s); removing the token locally", self.store_ref, exc)
        self.vault.delete_account(self.store_ref)
        if forget_licenses:
            self.vault.remove_licenses(self.store_ref, [lic.license_id for lic in self.vault.licenses(self.store_ref)])

    def restore_purchases(self) -> RestoreResult:
        """Fetch every license of the account and keep each one that verifies (a new machine's first sign-in)."""
        tokens = self._authed(self.client.licenses)
        saved, rejected = self.vault.save_licenses(self.store_ref, tokens)
        if rejected:
            log.warning("%d license(s) from %s failed verification and were not kept", rejected, self.store_ref)
        return RestoreResult(licenses=tuple(self.licenses()), restored=len(saved), rejected=rejected)

    def licenses(self) -> list[License]:
        """Every verified license kept on this machine for this store."""
        return self.vault.licenses(self.store_ref)

    def licenses_for_bundle(self, bundle_id: str) -> list[License]:
        return self.vault.licenses_for_bundle(self.store_ref, bundle_id)

    # --- gates ------------------------------------------------------------------------------------------------

    def claim(self, bundle_id: str) -> License:
        """Get a free bundle's license (needs an account: the store counts who has what)."""
        return self._keep(self._authed(lambda token: self.client.claim(token, bundle_id)))

    def request_email_code(self, bundle_id: str, email: str) -> EmailCodeSent:
        return self._authed(lambda token: self.client.request_email_code(token, bundle_id, email))

    def confirm_email(self, bundle_id: str, email: str, code: str) -> License:
        return self._keep(self._authed(lambda token: self.client.confirm_email(token, bundle_id, email, code)))

    def buy(self, bundle_id: str, card: Card, *, amount_cents: int | None = None) -> Purchased:
        """Pay for a bundle and keep its license. Raises CardDeclined, InsufficientFunds, … unchanged."""
        self.vault.check()  # before any money moves
        self._ensure_connected()  # the license must be verifiable against a pinned key before we pay
        attempt = self._attempt_id("purchase", bundle_id, card, amount_cents)
        key = self._pending_key(attempt)
        try:
            result = self._authed(
                lambda token: self.client.purchase(
                    token, bundle_id, card, amount_cents=amount_cents, idempotency_key=key
                )
            )
        except StoreUnreachable as exc:
            # Outcome unknown: the key stays pending, so the fan's next try gets this attempt's answer.
            raise PaymentInDoubt(detail=exc.detail) from exc
        except AlreadyOwned:
            self._settle(attempt)
            owned = self._restore_bundle(bundle_id)
            if owned is None:
                raise
            return Purchased(license=owned, purchase=None)
        except StoreError:
            self._settle(attempt)
            raise
        self._settle(attempt)
        return Purchased(license=self._keep(result.license), purchase=result)

    def pledge(self, campaign_id: str, card: Card) -> PledgeResult:
        """Back a campaign: the card is authorized now and charged only if the goal is met by the deadline."""
        self.vault.check()
        attempt = self._attempt_id("pledge", campaign_id, card, None)
        key = self._pending_key(attempt)
        try:
            result = self._authed(lambda token: self.client.pledge(token, campaign_id, card, idempotency_key=key))
        except StoreUnreachable as exc:
            raise PaymentInDoubt(detail=exc.detail) from exc
        except StoreError:
            self._settle(attempt)
            raise
        self._settle(attempt)
        return result

    def pledges(self) -> tuple[AccountPledge, ...]:
        """The account's standing pledges at the store (made here, on another computer or on the web)."""
        return self._authed(self.client.my_pledges)

    # --- helpers ----------------------------------------------------------------------------------------------

    def _ensure_connected(self) -> None:
        if self._key is None:
            self.connect()

    def _authed(self, call: Callable[[str], _T]) -> _T:
        account = self._live_account()
        if account is None:
            raise AuthRequired()
        try:
            return call(account.token)
        except AuthRequired:
            self.vault.delete_account(self.store_ref)
            raise

    def _keep(self, token: str) -> License:
        self._ensure_connected()
        try:
            return self.vault.save_license(self.store_ref, token)
        except LicenseInvalid:
            log.error("store %s sent a license that does not verify against its pinned key", self.store_ref)
            raise

    def _restore_bundle(self, bundle_id: str) -> License | None:
        self.restore_purchases()
        owned = self.licenses_for_bundle(bundle_id)
        return owned[0] if owned else None

    @staticmethod
    def _attempt_id(kind: str, target: str, card: Card, amount_cents: int | None) -> str:
        # What makes two clicks "the same request" to the store; hashed so no card number sits in a dict key.
        card_json = repr(sorted(card.as_json().items()))
        return hashlib.sha256(f"{kind}|{target}|{card_json}|{amount_cents}".encode()).hexdigest()

    def _pending_key(self, attempt: str) -> str:
        with self._lock:
            return self._pending_keys.setdefault(attempt, new_idempotency_key())

    def _settle(self, attempt: str) -> None:
        with self._lock:
            self._pending_keys.pop(attempt, None)

