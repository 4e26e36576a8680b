"""The free and e-mail gates: claim a free bundle; give an address (with consent), confirm the mailed code.

The e-mail gate is double opt-in: the address is validated, a 6-digit code is mailed over SMTP (or, in demo mode
without SMTP, returned as ``dev_code``), stored only as a hash, valid 30 minutes and 5 tries; the license comes
with the confirmation. Creators export the confirmed, consenting addresses of their bundles.
Blocking; runs on the API's worker threads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import select

from app.bundle import GateType
from storefront.accounts import normalize_email
from storefront.config import StoreConfig
from storefront.db import Database
from storefront.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    RateLimitedError,
    ServiceUnavailableError,
)
from storefront.licensing import LicenseIssuer
from storefront.mail import Mailer
from storefront.models import Bundle, EmailSubscription, License, utcnow
from storefront.purchases import get_bundle

CODE_TTL = dt.timedelta(minutes=30)
MAX_CODE_TRIES = 5
RESEND_AFTER = dt.timedelta(seconds=30)


def _code_hash(secret: bytes, subscription_key: str, code: str) -> str:
    # Keyed: a six-digit code is easy to brute-force from a plain hash if the database leaks.
    return hmac.new(secret, f"{subscription_key}:{code}".encode(), hashlib.sha256).hexdigest()


def _require_gate(bundle: Bundle, gate: GateType) -> None:
    if bundle.gate_type != gate.value:
        raise ConflictError(f"This bundle's gate is {bundle.gate_type!r}, not {gate.value!r}.", code="wrong_gate")


class Gates:
    def __init__(
        self, config: StoreConfig, database: Database, issuer: LicenseIssuer, mailer: Mailer | None, *, secret: bytes
    ) -> None:
        self._secret = secret  # keys the code hashes
        self._config = config
        self._db = database
        self._issuer = issuer
        self._mailer = mailer

    def claim_free(self, account_id: str, bundle_id: str) -> str:
        """The license token for a free bundle (the existing one when already claimed)."""
        with self._db.write() as session:
            bundle = get_bundle(session, bundle_id)
            _require_gate(bundle, GateType.FREE)
            held = session.scalar(
                select(License).where(License.account_id == account_id, License.bundle_id == bundle_id)
            )
            if held is not None:
                return held.token
            return self._issuer.issue(session, account_id=account_id, bundle_id=bundle_id, source="free").token

    def request_code(self, account_id: str, bundle_id: str, email: str, consent: bool) -> dict[str, Any]:
        address = normalize_email(email)
        if not consent:
            raise InvalidInputError(
                "Tick the box to agree that the creator may e-mail you; the bundle is given for that consent.",
                code="consent_required",
            )
        if self._mailer is None and not self._config.demo:
            raise ServiceUnavailableError(
                "This store cannot send e-mail right now, so e-mail-gated bundles are unavailable.",
                code="mail_unavailable",
            )
        code = f"{secrets.randbelow(1_000_000):06d}"
        with self._db.write() as session:
            bundle = get_bundle(session, bundle_id)
            _require_gate(bundle, GateType.EMAIL)
            title = bundle.title
            if session.scalar(
                select(License.id).where(License.account_id == account_id, License.bundle_id == bundle_id)
            ):
                raise ConflictError("You already have this bundle.", code="already_owned")
            sub = session.scalar(
                select(EmailSubscription).where(
                    EmailSubscription.bundle_id == bundle_id, EmailSubscription.account_id == account_id
                )
            )
            if sub is None:
                sub = EmailSubscription(
                    bundle_id=bundle_id, account_id=account_id, email=address, code_hash="", code_expires_at=utcnow()
                )
                session.add(sub)
            elif sub.code_expires_at - CODE_TTL + RESEND_AFTER > utcnow():
                # Each new code resets the tries: without a pause, asking again would make guessing cheap
                # (and anyone could flood an inbox through us).
                raise RateLimitedError(
                    "A code was just sent; wait half a minute before asking for another.", code="too_many_attempts"
                )
            sub.email = address
            sub.code_hash = _code_hash(self._secret, f"{bundle_id}:{account_id}:{address}", code)
            sub.code_expires_at = utcnow() + CODE_TTL
            sub.attempts = 0
            sub.consented_at = utcnow()
            sub.confirmed_at = None
        if self._mailer is not None:
            self._mailer.send_code(address, title, code)
            return {"status": "code_sent"}
        return {"status": "code_sent", "dev_code": code}  # demo mode without SMTP: shown, never mailed

    def confirm(self, account_id: str, bundle_id: str, email: str, code: str) -> str:
        address = normalize_email(email)
        token = self._confirm(account_id, bundle_id, address, code)
        if token is None:  # the failed try is committed (it counts); now refuse
            raise InvalidInputError("That code is not right; check the e-mail and try again.", code="wrong_code")
        return token

    def _confirm(self, account_id: str, bundle_id: str, address: str, code: str) -> str | None:
        with self._db.write() as session:
            bundle = get_bundle(session, bundle_id)
            _require_gate(bundle, GateType.EMAIL)
            sub = session.scalar(
                select(EmailSubscription).where(
                    EmailSubscription.bundle_id == bundle_id, EmailSubscription.account_id == account_id
                )
            )
            if sub is None or sub.email != address:
                raise ConflictError("Ask for a code for this address first.", code="no_code_requested")
            held = session.scalar(
                select(License).where(License.account_id == account_id, License.bundle_id == bundle_id)
            )
            if held is not None and sub.confirmed_at is not None:
                return held.token
            if sub.attempts >= MAX_CODE_TRIES:
                raise RateLimitedError("Too many wrong codes; ask for a new one.", code="too_many_attempts")
            if sub.code_expires_at <= utcnow():
                raise ConflictError("That code has expired; ask for a new one.", code="code_expired")
            expected = _code_hash(self._secret, f"{bundle_id}:{account_id}:{address}", code.strip())
            if not hmac.compare_digest(expected, sub.code_hash):
                sub.attempts += 1
                return None
            sub.confirmed_at = utcnow()
            return self._issuer.issue(session, account_id=account_id, bundle_id=bundle_id, source="email").token

    def subscribers(self, account_id: str, bundle_id: str) -> list[dict[str, Any]]:
        """The confirmed, consenting addresses of a bundle — for its creator only."""
        with self._db.session() as session:
            bundle = get_bundle(session, bundle_id)
            if bundle.creator_account_id != account_id:
                raise ForbiddenError("Only the bundle's creator can export its subscribers.", code="not_creator")
            rows = session.scalars(
                select(EmailSubscription)
                .where(EmailSubscription.bundle_id == bundle_id, EmailSubscription.confirmed_at.is_not(None))
                .order_by(EmailSubscription.confirmed_at)
            )
            return [
                {
                    "email": row.email,
                    "consented_at": row.consented_at.isoformat(),
                    "confirmed_at": row.confirmed_at.isoformat() if row.confirmed_at else None,
                }
                for row in rows
            ]
