"""Accounts over real HTTP: sign up, sign in (bearer token with expiry), sign out, rate-limited sign-in."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from storefront.accounts import Accounts
from storefront.config import StoreConfig
from storefront.db import Database
from storefront.errors import AuthRequiredError, RateLimitedError
from storefront.models import SessionToken
from tests.storefront.store_support import SeededStore, auth, sign_up_and_in


def _email() -> str:
    return f"acct-{uuid.uuid4().hex[:8]}@example.com"


def test_sign_up_then_sign_in_gives_a_token_that_opens_the_account(api: httpx.Client) -> None:
    email = _email()
    created = api.post("/accounts", json={"email": email.upper(), "password": "correct horse"})
    assert created.status_code == 201 and created.json()["email"] == email
    signed = api.post("/sessions", json={"email": email, "password": "correct horse"}).json()
    assert signed["account_id"] == created.json()["account_id"]
    assert dt.datetime.fromisoformat(signed["expires_at"]) > dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert api.get("/licenses", headers=auth(signed["token"])).json() == {"licenses": []}


def test_sign_up_refuses_taken_address_bad_address_and_short_password(api: httpx.Client) -> None:
    email = _email()
    assert api.post("/accounts", json={"email": email, "password": "long enough"}).status_code == 201
    taken = api.post("/accounts", json={"email": email, "password": "long enough"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "email_taken"
    bad = api.post("/accounts", json={"email": "not-an-address", "password": "long enough"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_email"
    short = api.post("/accounts", json={"email": _email(), "password": "short"})
    assert short.status_code == 422 and short.json()["error"]["code"] == "weak_password"


def test_wrong_password_is_401_and_repeated_failures_are_rate_limited(api: httpx.Client) -> None:
    email = _email()
    api.post("/accounts", json={"email": email, "password": "the right one"})
    codes = [api.post("/sessions", json={"email": email, "password": f"wrong {i}"}).status_code for i in range(5)]
    assert codes == [401] * 5
    limited = api.post("/sessions", json={"email": email, "password": "the right one"})
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "too_many_attempts" and "Retry-After" in limited.headers
    other = _email()  # another address is not affected
    api.post("/accounts", json={"email": other, "password": "the right one"})
    assert api.post("/sessions", json={"email": other, "password": "the right one"}).status_code == 201


def test_sign_out_ends_the_session(api: httpx.Client) -> None:
    token = sign_up_and_in(api)
    assert api.delete("/sessions", headers=auth(token)).status_code == 204
    after = api.get("/licenses", headers=auth(token))
    assert after.status_code == 401 and after.json()["error"]["code"] == "invalid_token"


def test_expired_token_is_refused_with_a_sign_in_again_message(api: httpx.Client, seeded: SeededStore) -> None:
    token = sign_up_and_in(api)
    # Time passes: the token's expiry moves into the past (in the store's own database).
    db = Database(StoreConfig(data_dir=seeded.data_dir).effective_database_url)
    with db.write() as session:
        session.execute(update(SessionToken).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    db.dispose()
    answer = api.get("/licenses", headers=auth(token))
    assert answer.status_code == 401
    assert answer.json()["error"] == {"code": "token_expired", "message": "Your session has expired; sign in again."}


def test_missing_or_garbled_bearer_is_401(api: httpx.Client) -> None:
    assert api.get("/licenses").json()["error"]["code"] == "auth_required"
    garbled = api.get("/licenses", headers={"Authorization": "Token abc"})
    assert garbled.status_code == 401 and garbled.json()["error"]["code"] == "auth_required"
    unknown = api.get("/licenses", headers=auth("made-up-token"))
    assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "invalid_token"


def test_one_caller_spraying_many_addresses_is_rate_limited(tmp_path: Path) -> None:
    config = StoreConfig(data_dir=tmp_path, signin_max_failures_per_client=3)
    config.ensure_dirs()
    db = Database(config.effective_database_url)
    db.migrate()
    accounts = Accounts(config, db)
    try:
        accounts.sign_up("victim@example.com", "the right one")
        for i in range(3):
            with pytest.raises(AuthRequiredError):
                accounts.sign_in(f"guess{i}@example.com", "password1", client="10.0.0.7")
        with pytest.raises(RateLimitedError):
            accounts.sign_in("victim@example.com", "the right one", client="10.0.0.7")
        assert accounts.sign_in("victim@example.com", "the right one", client="10.0.0.8").account_id
    finally:
        db.dispose()
