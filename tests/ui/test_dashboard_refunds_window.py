"""Refunds from the creator's Dashboard in the whole window (Xvfb) against a real store over HTTP on loopback: two
fans buy the creator's bundle with a test card; the Dashboard lists the bundle's sales (date, buyer named without
their e-mail, amount, Paid); *Refund…* asks in a window-modal box, the store refunds on a worker, the result is a
sentence, and the figures on screen — gross, payment fees, store fee, net, what is owed — are the store's ledger's
again. A sale already refunded elsewhere while the window still showed it as paid gets a sentence, not a crash."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.bundle import BundleKind, GateType
from app.library.publishing import PublishRequest
from app.store.account import StoreAccount
from app.store.client import StoreClient
from app.store.vault import LicenseVault
from app.ui.creator.dashboard_page import COLUMNS, DashboardPage
from app.ui.creator.money import dollars
from storefront.models import ChargeStatus, Purchase
from tests.storefront import creator_store
from tests.storefront.creator_store import creator_publisher, read_store, store_ledger
from tests.storefront.store_support import GOOD_CARD, StoreProcess
from tests.support.creator import bearer, episodes, new_account
from tests.ui.store_fixtures import StoreWindow, close_store_window, open_store_window

pytestmark = pytest.mark.timeout(180)
store, api = creator_store.store, creator_store.api  # a store of this module's own, by name
PASSWORD = "password-123"  # tests.support.creator.new_account's


@pytest.fixture
def creator(store: StoreProcess, api: httpx.Client, tmp_path: Path) -> tuple[str, str, str]:
    """(e-mail, token, bundle id): a creator with a paid bundle ($4.99) published by the app's publishing code."""
    email, token = new_account(api)
    assert api.post("/creators/me", json={"display_name": "Mara"}, headers=bearer(token)).status_code == 200
    publisher = creator_publisher(store, token, tmp_path / "work")
    job = publisher.plan(PublishRequest(
        folder=episodes(tmp_path / "src", {"pilot.bin": 40_000, "ep1.bin": 120_000}),
        title=f"Night Shift {uuid.uuid4().hex[:4]}", kind=BundleKind.SERIES, gate=GateType.PAID,
        locked=frozenset({"ep1.bin"}), price_cents=499))  # fmt: skip
    return email, token, publisher.run(job)


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, store: StoreProcess, creator: tuple[str, str, str],
           keyring_service: str) -> Iterator[StoreWindow]:  # fmt: skip
    vault = LicenseVault(service=keyring_service)
    StoreAccount(StoreClient(store.url), vault, store_ref=store.url).sign_in(creator[0], PASSWORD)
    opened = open_store_window(qtbot, tmp_path / "home", store.url, keyring_service, creator=True)
    yield opened
    close_store_window(opened)
    vault.forget_store(store.url)


def _buy(store: StoreProcess, api: httpx.Client, bundle_id: str) -> str:
    """A fan's purchase with a test card; the sale's charge id."""
    _, fan = new_account(api)
    bought = api.post("/purchases", json={"bundle_id": bundle_id, "card": GOOD_CARD},
                      headers={**bearer(fan), "Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
    assert bought.status_code == 201, bought.text
    charge_id = read_store(store, lambda s: s.get_one(Purchase, bought.json()["purchase_id"]).charge_id)
    assert charge_id is not None
    return charge_id


def _figures(page: DashboardPage) -> dict[str, str]:
    """The bundle's row of the figures table as shown, by column title."""
    return {title: page.table.item(0, c).text() for c, (title, _, _) in enumerate(COLUMNS)}  # type: ignore[union-attr]


def _ledger_figures(store: StoreProcess, bundle_id: str) -> dict[str, str]:
    """What the store's own charges say those cells must read."""
    captured = [c for c in store_ledger(store, bundle_id) if c.status == ChargeStatus.CAPTURED]
    gross, fees = sum(c.amount_cents for c in captured), sum(c.fee_cents for c in captured)
    cut = (gross * 10 + 50) // 100
    refunds = sum(1 for c in store_ledger(store, bundle_id) if c.status == ChargeStatus.REFUNDED)
    return {"Sales": str(len(captured)), "Refunds": str(refunds), "Gross": dollars(gross),
            "Payment fees": dollars(fees), "Store fee": dollars(cut), "Net": dollars(gross - fees - cut)}  # fmt: skip


def _confirm_refund(qtbot: QtBot, page: DashboardPage) -> None:
    page.sales.refund_button.click()
    qtbot.waitUntil(lambda: page.sales.question is not None and page.sales.question.isVisible(), timeout=10_000)
    question = page.sales.question
    assert question is not None and question.windowModality() == Qt.WindowModality.WindowModal  # open(), not exec()
    yes = next(b for b in question.buttons() if question.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole)
    yes.click()


def test_a_creator_refunds_a_sale_from_the_dashboard_and_sees_the_stores_new_figures(
    qtbot: QtBot, store: StoreProcess, api: httpx.Client, creator: tuple[str, str, str], window: StoreWindow
) -> None:
    _, token, bundle_id = creator
    first, second = _buy(store, api, bundle_id), _buy(store, api, bundle_id)
    page = window.window.dashboard
    assert page is not None
    window.desktop.show_page(page)
    page.refresh_button.click()
    qtbot.waitUntil(lambda: page.sales.table.rowCount() == 2, timeout=30_000)
    assert _figures(page).items() >= _ledger_figures(store, bundle_id).items()
    assert _figures(page)["Sales"] == "2" and _figures(page)["Gross"] == "$9.98"
    rows = [[page.sales.table.item(r, c).text() for c in range(4)] for r in range(2)]  # type: ignore[union-attr]
    assert all(r[1].startswith("Fan ") and "@" not in r[1] and r[2:] == ["$4.99", "Paid"] for r in rows), rows

    page.sales.select_sale(first)
    buyer = page.sales.selected()["buyer"]  # type: ignore[index]
    _confirm_refund(qtbot, page)
    qtbot.waitUntil(lambda: page.sales.result.text().startswith("Refunded"), timeout=30_000)
    assert page.sales.result.text() == f"Refunded $4.99 to {buyer}. Their license is withdrawn at the store."
    qtbot.waitUntil(lambda: _figures(page)["Refunds"] == "1", timeout=30_000)
    assert _figures(page).items() >= _ledger_figures(store, bundle_id).items()  # the store's new figures, on screen
    assert (_figures(page)["Gross"], _figures(page)["Sales"]) == ("$4.99", "1")
    assert f"The store owes you {_figures(page)['Net']}" in page.owed.text()
    page.sales.select_sale(first)
    assert page.sales.table.item(page.sales.table.currentRow(), 3).text().startswith("Refunded")  # type: ignore[union-attr]
    assert not page.sales.refund_button.isEnabled()  # a refunded sale offers no second refund

    # The other sale is refunded from elsewhere (another device) while this window still shows it as paid.
    assert api.post(f"/creators/sales/{second}/refund", headers=bearer(token)).status_code == 200
    page.sales.select_sale(second)
    assert page.sales.refund_button.isEnabled()
    _confirm_refund(qtbot, page)
    qtbot.waitUntil(lambda: "already been refunded" in page.sales.result.text(), timeout=30_000)
    assert "nothing more was taken back" in page.sales.result.text()
    qtbot.waitUntil(lambda: _figures(page)["Refunds"] == "2", timeout=30_000)
    assert _figures(page).items() >= _ledger_figures(store, bundle_id).items()
    assert _figures(page)["Gross"] == "$0.00"
