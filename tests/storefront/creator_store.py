"""The set-up the creator API and creator money tests share: a store of their own (an empty data dir, the real
``python -m storefront serve`` on loopback, once per module), an HTTP client on its API, a creator account with the
role, the app's ``Publisher`` pointed at that store (an in-memory bundle-key store: no keyring needed), a campaign
with tiers, closing it by the CLI, and reads of the store's own books (its charges, the test-card provider's ledger).

The live-store tests (a creator announcing broadcasts) use it too; the store runs in demo mode, so an e-mail gate
shows its code instead of mailing it. The test modules bind ``store`` and ``api`` by name (pytest finds fixtures in
a module's namespace; the storefront ``conftest.py``'s ``store`` is the seeded catalog, which these tests must not
publish into).
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.bundle import BundleKind, GateType
from app.library.publishing import Publisher, PublishRequest, TierChoice
from app.store.creator import CreatorClient
from storefront.config import StoreConfig
from storefront.models import Charge, TestCardPayment
from storefront.services import build_services
from tests.storefront.store_support import StoreProcess
from tests.support.creator import MemoryKeys, bearer, episodes, new_account

T = TypeVar("T")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreProcess]:
    data = tmp_path_factory.mktemp("creator-store") / "data"
    data.mkdir()
    server = StoreProcess(data, env={"BUNDLECAST_STORE_DEMO": "1"}).start()  # the e-mail gate shows its code
    yield server
    server.stop()


@pytest.fixture
def api(store: StoreProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=store.api, timeout=60) as client:
        yield client


def new_creator(api: httpx.Client, name: str = "Ana Ruiz") -> str:
    """The bearer token of a new account that has become a creator."""
    _, token = new_account(api)
    made = api.post("/creators/me", json={"display_name": name}, headers=bearer(token))
    assert made.status_code == 200, made.text
    return token


def creator_publisher(store: StoreProcess, token: str, root: Path) -> Publisher:
    return Publisher(root, keys=MemoryKeys(), client=CreatorClient(store.url), token=token, store_url=store.url)


def publish_series(store: StoreProcess, api: httpx.Client, root: Path, request: dict[str, Any]) -> tuple[str, str]:
    """(creator token, bundle id) of a small series — a free pilot, a locked episode — published by a new creator
    through the app's publishing code; ``request`` gives the title, gate, price, campaign…"""
    token = new_creator(api, "Mara")
    folder = episodes(root / f"src-{uuid.uuid4().hex[:6]}", {"pilot.bin": 50_000, "ep1.bin": 200_000})
    made = creator_publisher(store, token, root / "work")
    job = made.plan(PublishRequest(folder=folder, kind=BundleKind.SERIES, locked=frozenset({"ep1.bin"}), **request))
    return token, made.run(job)


def publish_campaign(store: StoreProcess, api: httpx.Client, root: Path, goal: int) -> tuple[str, str]:
    """(creator token, bundle id) of a campaign for ``goal`` backers with two tiers: $9.95 the season, $25 the season
    and your name in the credits (the campaign's id is the bundle's)."""
    return publish_series(
        store,
        api,
        root,
        {
            "title": f"Lumen Drift {uuid.uuid4().hex[:4]}",
            "gate": GateType.CAMPAIGN,
            "price_cents": 995,
            "goal_backers": goal,
            "tiers": (
                TierChoice("season", "The season", 995),
                TierChoice("credits", "The season and your name in the credits", 2500),
            ),
        },
    )


def close_campaign(store: StoreProcess, campaign_id: str) -> str:
    """Close a campaign now, as its creator's ``campaign close`` does; the CLI's output."""
    done = subprocess.run(
        [sys.executable, "-m", "storefront", "campaign", "close", campaign_id, "--data-dir", str(store.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def read_store(store: StoreProcess, read: Callable[[Session], T]) -> T:
    """Read the store's own books (its database, as the server sees it) — what a test checks answers against."""
    services = build_services(StoreConfig(data_dir=store.data_dir))
    try:
        with services.db.session() as session:
            return read(session)
    finally:
        services.close()


def store_ledger(store: StoreProcess, bundle_id: str) -> list[Charge]:
    """Every charge of a bundle: the store's ledger."""
    return read_store(store, lambda session: list(session.scalars(select(Charge).where(Charge.bundle_id == bundle_id))))


def provider_status(store: StoreProcess, charge_id: str) -> str:
    """What the (test-card) payment provider's own ledger says of a payment."""
    return read_store(store, lambda session: session.get_one(TestCardPayment, charge_id).status)
