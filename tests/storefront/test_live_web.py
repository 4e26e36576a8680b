"""The store's web face for live events in a real browser (Debian's Chromium, headless, through Selenium): the catalog
shows "Live now" and the upcoming broadcasts (title, creator, start time, gate) a creator announced over the API; a
live bundle's page says when it starts, what it takes to watch and offers *Open in Bundlecast*; a fan signs up there
and buys a ticket with a test card through the ordinary paid gate. An ended broadcast leaves the catalog."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from storefront.web.live_text import start_time_text
from tests.storefront.store_support import StoreProcess
from tests.support.creator import bearer, new_account

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreProcess]:
    data = tmp_path_factory.mktemp("live-web") / "data"
    data.mkdir()
    server = StoreProcess(data, env={"BUNDLECAST_STORE_DEMO": "1"}).start()  # the test cards are shown
    yield server
    server.stop()


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _announce(api: httpx.Client, token: str, title: str, starts_at: int, **gate: object) -> str:
    public = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    body = {
        "title": title,
        "description": "Recorded nowhere else.",
        "starts_at": starts_at,
        "stream_public_key": base64.b64encode(public).decode(),
        "origin_url": "http://127.0.0.9:8088/",
        **({"gate": "free"} | gate),
    }
    made = api.post("/creator/live", json=body, headers=bearer(token))
    assert made.status_code == 201, made.text
    return str(made.json()["bundle_id"])


def _text(driver: WebDriver, css: str) -> str:
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, css))
    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def test_a_fan_sees_live_now_and_upcoming_and_buys_a_ticket_on_the_live_page(
    store: StoreProcess, chromium: WebDriver
) -> None:
    driver = chromium
    starts = int(time.time()) + 3 * 3600
    with httpx.Client(base_url=store.api, timeout=30) as api:
        _, token = new_account(api)
        assert api.post("/creators/me", json={"display_name": "Kite Radio"}, headers=bearer(token)).is_success
        on_air = _announce(api, token, "Dawn Chorus Live", int(time.time()) + 60)
        assert api.put(f"/creator/live/{on_air}/state", json={"state": "on_air"}, headers=bearer(token)).is_success
        ticketed = _announce(api, token, "Harbor Lights Live", starts, gate="price", price_cents=500)
        ended = _announce(api, token, "Yesterday's Set", int(time.time()) + 60)
        assert api.put(f"/creator/live/{ended}/state", json={"state": "ended"}, headers=bearer(token)).is_success

    driver.get(f"{store.url}/catalog")
    live_now = _text(driver, "#live-now")
    assert "Dawn Chorus Live" in live_now and "Kite Radio" in live_now and "LIVE" in live_now
    assert "Free to watch" in live_now
    upcoming = _text(driver, "#live-upcoming")
    assert "Harbor Lights Live" in upcoming and "Kite Radio" in upcoming
    assert f"starts {start_time_text(starts)}" in upcoming and "Ticket 5.00 USD" in upcoming
    assert "Yesterday's Set" not in _text(driver, "#live")  # an ended broadcast is not listed

    driver.find_element(By.LINK_TEXT, "Harbor Lights Live").click()
    assert _text(driver, "#live-state") == f"Starts {start_time_text(starts)}"
    assert "Ticket 5.00 USD" in _text(driver, "#live-gate")
    open_link = driver.find_element(By.ID, "live-open-in-app").get_attribute("href")
    assert open_link == f"bundlecast://open/{ticketed}?store={quote(store.url, safe='')}"
    assert not driver.find_elements(By.ID, "torrent-link")  # a broadcast has no .torrent to offer

    driver.find_element(By.NAME, "email").send_keys(f"live-fan-{uuid.uuid4().hex[:8]}@example.com")
    driver.find_element(By.NAME, "password").send_keys("password-123")
    driver.find_element(By.ID, "signup").click()
    assert _text(driver, "#pay") == "Buy for 5.00 USD"
    driver.find_element(By.NAME, "number").send_keys("4242424242424242")
    driver.find_element(By.NAME, "expiry").send_keys("12/34")
    driver.find_element(By.NAME, "cvc").send_keys("123")
    driver.find_element(By.ID, "pay").click()
    assert "It is yours" in _text(driver, "#owned-notice")  # the ticket: a license of the live bundle

    driver.get(f"{store.url}/bundles/{on_air}")
    assert _text(driver, "#live-state").startswith("LIVE now")
