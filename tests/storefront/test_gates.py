"""The free and e-mail gates end to end: a real server on 127.0.0.1 mails its codes to a real SMTP server on
loopback (aiosmtpd); double opt-in, consent, wrong codes, the creator's export."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from app.bundle import load_public_key, verify_license
from storefront.config import StoreConfig
from storefront.errors import ServiceUnavailableError
from storefront.services import build_services
from tests.storefront.store_support import (
    CREATOR_EMAIL,
    CREATOR_PASSWORD,
    SeededStore,
    StoreProcess,
    auth,
    sign_up_and_in,
)
from tests.support.net import free_port


class Inbox:
    """An SMTP server on loopback that keeps what it receives."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[list[str], bytes]] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        with self.arrived:
            self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
            self.arrived.notify_all()
        return "250 OK"

    def code_for(self, address: str, timeout: float = 20.0) -> str:
        with self.arrived:
            ok = self.arrived.wait_for(lambda: any(address in to for to, _ in self.messages), timeout)
            assert ok, f"no mail for {address}"
            raw = next(body for to, body in reversed(self.messages) if address in to)
        text = message_from_bytes(raw).get_payload(decode=True).decode()  # type: ignore[union-attr]
        match = re.search(r"\b(\d{6})\b", text)
        assert match, text
        return match.group(1)


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture(scope="module")
def store(seeded: SeededStore, inbox: Inbox) -> Iterator[StoreProcess]:
    """This module's server sends mail (overrides the conftest's fixture)."""
    env = {"BUNDLECAST_SMTP_HOST": "127.0.0.1", "BUNDLECAST_SMTP_PORT": str(inbox.port)}
    server = StoreProcess(seeded.data_dir, env=env).start()
    yield server
    server.stop()


def _address() -> str:
    return f"reader-{uuid.uuid4().hex[:8]}@example.com"


def test_free_bundle_is_claimed_once_per_account(api: httpx.Client, seeded: SeededStore) -> None:
    token = sign_up_and_in(api)
    first = api.post(f"/bundles/{seeded.free}/claim", headers=auth(token))
    again = api.post(f"/bundles/{seeded.free}/claim", headers=auth(token))
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    lic = verify_license(first.json()["license"], load_public_key(api.get("/public-key").json()["public_key"]))
    assert lic.bundle_id == seeded.free
    paid = api.post(f"/bundles/{seeded.paid}/claim", headers=auth(token))
    assert paid.status_code == 409 and paid.json()["error"]["code"] == "wrong_gate"
    anonymous = api.post(f"/bundles/{seeded.free}/claim")
    assert anonymous.status_code == 401


def test_email_gate_double_opt_in_over_real_smtp(api: httpx.Client, seeded: SeededStore, inbox: Inbox) -> None:
    token = sign_up_and_in(api)
    address = _address()
    sent = api.post(f"/bundles/{seeded.email}/email", json={"email": address, "consent": True}, headers=auth(token))
    assert sent.status_code == 202 and sent.json() == {"status": "code_sent"}  # no dev_code when mail works
    code = inbox.code_for(address)
    wrong = "000000" if code != "000000" else "111111"
    bad = api.post(
        f"/bundles/{seeded.email}/email/confirm", json={"email": address, "code": wrong}, headers=auth(token)
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "wrong_code"
    assert api.get("/licenses", headers=auth(token)).json() == {"licenses": []}
    good = api.post(
        f"/bundles/{seeded.email}/email/confirm", json={"email": address, "code": code}, headers=auth(token)
    )
    assert good.status_code == 201
    lic = verify_license(good.json()["license"], load_public_key(api.get("/public-key").json()["public_key"]))
    assert lic.bundle_id == seeded.email and lic.opens("media/part1.bin")
    assert api.get("/licenses", headers=auth(token)).json() == {"licenses": [good.json()["license"]]}


def test_email_gate_validates_the_address_and_requires_consent(api: httpx.Client, seeded: SeededStore) -> None:
    token = sign_up_and_in(api)
    bad = api.post(f"/bundles/{seeded.email}/email", json={"email": "me@", "consent": True}, headers=auth(token))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_email"
    no_consent = api.post(
        f"/bundles/{seeded.email}/email", json={"email": _address(), "consent": False}, headers=auth(token)
    )
    assert no_consent.status_code == 422 and no_consent.json()["error"]["code"] == "consent_required"
    unasked = api.post(
        f"/bundles/{seeded.email}/email/confirm", json={"email": _address(), "code": "123456"}, headers=auth(token)
    )
    assert unasked.status_code == 409 and unasked.json()["error"]["code"] == "no_code_requested"


def test_five_wrong_codes_lock_the_code(api: httpx.Client, seeded: SeededStore, inbox: Inbox) -> None:
    token = sign_up_and_in(api)
    address = _address()
    api.post(f"/bundles/{seeded.email}/email", json={"email": address, "consent": True}, headers=auth(token))
    code = inbox.code_for(address)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        api.post(f"/bundles/{seeded.email}/email/confirm", json={"email": address, "code": wrong}, headers=auth(token))
    locked = api.post(
        f"/bundles/{seeded.email}/email/confirm", json={"email": address, "code": code}, headers=auth(token)
    )
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "too_many_attempts"


def test_creator_exports_confirmed_consenting_addresses_only(
    api: httpx.Client, seeded: SeededStore, inbox: Inbox
) -> None:
    confirmed, pending = _address(), _address()
    for address, confirm in ((confirmed, True), (pending, False)):
        token = sign_up_and_in(api)
        api.post(f"/bundles/{seeded.email}/email", json={"email": address, "consent": True}, headers=auth(token))
        if confirm:
            code = inbox.code_for(address)
            api.post(
                f"/bundles/{seeded.email}/email/confirm", json={"email": address, "code": code}, headers=auth(token)
            )
    creator = api.post("/sessions", json={"email": CREATOR_EMAIL, "password": CREATOR_PASSWORD}).json()["token"]
    export = api.get(f"/creators/bundles/{seeded.email}/subscribers", headers=auth(creator))
    assert export.status_code == 200
    emails = [row["email"] for row in export.json()["subscribers"]]
    assert confirmed in emails and pending not in emails
    fan = sign_up_and_in(api)
    refused = api.get(f"/creators/bundles/{seeded.email}/subscribers", headers=auth(fan))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_creator"


def test_without_smtp_demo_mode_shows_the_code_and_other_stores_refuse(tmp_path: Path, seeded: SeededStore) -> None:
    """No mail server configured: a demo store returns the code itself; a real one says it cannot mail."""
    for demo in (True, False):
        config = StoreConfig(data_dir=seeded.data_dir, demo=demo)
        services = build_services(config)
        try:
            account = services.accounts.sign_up(_address(), "password-123")
            if demo:
                answer = services.gates.request_code(account.id, seeded.email, _address(), consent=True)
                assert answer["status"] == "code_sent" and len(answer["dev_code"]) == 6
            else:
                with pytest.raises(ServiceUnavailableError, match="cannot send e-mail"):
                    services.gates.request_code(account.id, seeded.email, _address(), consent=True)
        finally:
            services.close()


def test_asking_for_codes_again_and_again_is_slowed_down(api: httpx.Client, seeded: SeededStore, inbox: Inbox) -> None:
    token = sign_up_and_in(api)
    address = _address()
    first = api.post(f"/bundles/{seeded.email}/email", json={"email": address, "consent": True}, headers=auth(token))
    assert first.status_code == 202
    again = api.post(f"/bundles/{seeded.email}/email", json={"email": address, "consent": True}, headers=auth(token))
    assert again.status_code == 429 and again.json()["error"]["code"] == "too_many_attempts"
    code = inbox.code_for(address)  # the first code still works
    confirmed = api.post(
        f"/bundles/{seeded.email}/email/confirm", json={"email": address, "code": code}, headers=auth(token)
    )
    assert confirmed.status_code == 201
