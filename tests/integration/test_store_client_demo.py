"""What `make run` does with no store configured: the embedded demo store, started by EmbeddedStore with --demo.

The demo's generated media come from the test cache every part shares (tests/support/demo.py), so only the first
test session on a machine pays for encoding them; the catalog itself is published fresh into a temporary data dir.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.bundle import SignedManifest, verify_manifest
from app.store.account import StoreAccount
from app.store.client import StoreClient
from app.store.embedded import EmbeddedStore
from app.store.models import Card, GateType
from app.store.vault import LicenseVault
from tests.store.keyring_support import keyring_service
from tests.support.demo import demo_media_cache

__all__ = ["keyring_service"]  # a fixture, imported for pytest


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedStore, str, list[str]]]:
    store = EmbeddedStore(tmp_path_factory.mktemp("demo") / "store", demo_media_cache())
    progress: list[str] = []
    url = store.start(timeout=600, on_progress=progress.append)
    yield store, url, progress
    store.stop()


def test_the_demo_store_starts_on_loopback_with_every_kind_of_gate(
    demo_store: tuple[EmbeddedStore, str, list[str]],
) -> None:
    store, url, progress = demo_store
    with StoreClient(url) as client:
        info = client.store_info()
        page = client.catalog()
        gates = {item.gate.type for item in page.items}
        details = [client.bundle(item.id) for item in page.items]

    assert url.startswith("http://127.0.0.1:") and store.running
    assert info.demo and {card.number for card in info.test_cards} >= {"4242424242424242", "4000000000000002"}
    assert gates == {GateType.FREE, GateType.EMAIL, GateType.PAID, GateType.PWYW, GateType.CAMPAIGN}
    campaign = next(d for d in details if d.gate.type is GateType.CAMPAIGN)
    assert campaign.campaign is not None and campaign.campaign.backers > 0
    assert any(not f.locked for f in campaign.files) and any(f.locked for f in campaign.files)  # free pilot
    assert store.log_path.exists()
    assert all("\n" not in line for line in progress)


def test_a_fan_buys_in_the_demo_store_with_the_card_it_shows(
    demo_store: tuple[EmbeddedStore, str, list[str]], keyring_service: str
) -> None:
    store, url, _ = demo_store
    with StoreClient(url) as client:
        account = StoreAccount(client, LicenseVault(service=keyring_service), store_ref=store.store_ref)
        info = account.connect()
        paid = next(item for item in client.catalog().items if item.gate.type is GateType.PAID)
        detail = client.bundle(paid.id)
        verify_manifest(SignedManifest(detail.manifest.payload, detail.manifest.signature), account.store_key)
        card = next(card for card in info.test_cards if card.outcome.startswith("succe"))
        account.sign_up("demo-fan@example.org", "demo-password-1")

        bought = account.buy(paid.id, Card(card.number, 12, 2040, "123"))

    assert bought.purchase is not None and bought.purchase.amount_cents == paid.gate.price_cents
    assert all(bought.license.file_key(f.path) for f in detail.files if f.locked)


def test_the_demo_store_shows_the_email_code_instead_of_mailing_it(
    demo_store: tuple[EmbeddedStore, str, list[str]], keyring_service: str
) -> None:
    store, url, _ = demo_store
    with StoreClient(url) as client:
        account = StoreAccount(client, LicenseVault(service=keyring_service), store_ref=store.store_ref)
        account.connect()
        gated = next(item for item in client.catalog().items if item.gate.type is GateType.EMAIL)
        account.sign_up("reader@example.org", "demo-password-1")

        sent = account.request_email_code(gated.id, "reader@example.org")
        assert sent.dev_code is not None  # demo mode without SMTP: the code the mail would carry
        license_ = account.confirm_email(gated.id, "reader@example.org", sent.dev_code)

    assert license_.bundle_id == gated.id
    assert [lic.bundle_id for lic in account.licenses()] == [gated.id]
