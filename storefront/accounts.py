"""Accounts and sessions: sign up, sign in (rate-limited), bearer tokens with expiry, sign out.

Passwords are hashed with argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane). Tokens are 32 random bytes
shown once to the client and stored only as their SHA-256. Failed sign-ins are counted per address in the
database (so several workers share the count). Blocking (argon2 is ~30 ms); runs on the API's worker threads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from storefront.config import StoreConfig
from storefront.db import Database
from storefront.errors import AuthRequiredError, ConflictError, InvalidInputError, RateLimitedError
from storefront.models import Account, SessionToken, SignInFailure, utcnow

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


def normalize_email(email: str) -> str:
    """The address, trimmed and lower-cased; raises InvalidInputError when it is not an e-mail address."""
    value = email.strip()
    if len(value) > 254 or not _EMAIL.match(value) or len(value.split("@")[0]) > 64:
        raise InvalidInputError(f"{email!r} is not a valid e-mail address.", code="invalid_email")
    return value.lower()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    expires_at: dt.datetime
    account_id: str


class Accounts:
    def __init__(self, config: StoreConfig, database: Database) -> None:
        self._config = config
        self._db = database
        self._hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
        # Verifying against this keeps an unknown address as slow as a wrong password (no account probing).
        self._dummy_hash = self._hasher.hash(secrets.token_hex(16))

    def sign_up(self, email: str, password: str) -> Account:
        address = normalize_email(email)
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise InvalidInputError(f"Choose a password of at least {MIN_PASSWORD} characters.", code="weak_password")
        account = Account(email=address, password_hash=self._hasher.hash(password))
        try:
            with self._db.write() as session:
                session.add(account)
        except IntegrityError as exc:
            raise ConflictError(
                "An account with that e-mail address already exists; sign in instead.", code="email_taken"
            ) from exc
        return account

    def sign_in(self, email: str, password: str, *, client: str = "") -> SignedIn:
        """A new session; ``client`` (the caller's IP) is limited too, so one caller cannot spray addresses."""
        address = email.strip().lower()
        now = utcnow()
        window_start = now - dt.timedelta(seconds=self._config.signin_window_s)
        recent = select(func.count()).select_from(SignInFailure).where(SignInFailure.at > window_start)
        with self._db.session() as session:
            failures = session.scalar(recent.where(SignInFailure.email == address)) or 0
            from_client = (session.scalar(recent.where(SignInFailure.client == client)) or 0) if client else 0
            account = session.scalar(select(Account).where(Account.email == address))
        if failures >= self._config.signin_max_failures or from_client >= self._config.signin_max_failures_per_client:
            raise RateLimitedError(
                "Too many failed sign-ins. Wait a few minutes and try again.", code="too_many_attempts"
            )
        if not self._password_matches(account.password_hash if account else None, password) or account is None:
            with self._db.write() as session:
                session.add(SignInFailure(email=address, client=client, at=now))
                session.execute(delete(SignInFailure).where(SignInFailure.at < window_start))
            raise AuthRequiredError("That e-mail address and password do not match.", code="invalid_credentials")
        token = secrets.token_urlsafe(32)
        expires_at = now + dt.timedelta(seconds=self._config.session_ttl_s)
        with self._db.write() as session:
            session.add(SessionToken(token_hash=hash_token(token), account_id=account.id, expires_at=expires_at))
            session.execute(delete(SignInFailure).where(SignInFailure.email == address))
            session.execute(delete(SessionToken).where(SessionToken.expires_at < now))
        return SignedIn(token=token, expires_at=expires_at, account_id=account.id)

    def _password_matches(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy_hash, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def authenticate(self, token: str) -> str:
        """The account id behind a bearer token; AuthRequiredError when unknown or expired."""
        with self._db.session() as session:
            row = session.get(SessionToken, hash_token(token))
        if row is None:
            raise AuthRequiredError("Your session is not valid; sign in again.", code="invalid_token")
        if row.expires_at <= utcnow():
            raise AuthRequiredError("Your session has expired; sign in again.", code="token_expired")
        return row.account_id

    def sign_out(self, token: str) -> None:
        with self._db.write() as session:
            session.execute(delete(SessionToken).where(SessionToken.token_hash == hash_token(token)))
