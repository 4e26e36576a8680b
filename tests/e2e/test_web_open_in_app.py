"""A fan in a real browser (Debian's Chromium, headless, driven by Selenium through chromium-driver) opens a
bundle's web page, signs up, passes the e-mail gate, buys another bundle with a test card, and clicks *Open in
Bundlecast*; the link reaches a running Bundlecast, which shows that bundle's page in its Store tab, signed in to
the same store as the same fan.

What is proven, exactly: Chromium renders and submits every form (CSRF, session cookie) and the click on *Open in
Bundlecast* navigates to the ``bundlecast://open/…`` link — headless Chromium does not launch external protocol
handlers, so the test reads the URL the click navigated to from Chrome's DevTools log
and hands it to ``xdg-open`` with a test-owned XDG directory, where ``x-scheme-handler/bundlecast`` is registered
to a copy of ``resources/linux/bundlecast.desktop`` whose Exec is ``python -m app %u``. That launch of the real
app finds the running instance through the real single-instance server (``app.ui.single_instance``) and hands the
link over; the running desktop's Store section opens the bundle.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from app.ui.application import listen_for_other_launches
from app.ui.single_instance import InstanceServer
from tests.storefront.store_support import SeededStore, StoreProcess, seed_store
from tests.ui.store_fixtures import StoreWindow, close_store_window, open_store_window

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(240)
FAN_PASSWORD = "password-123"


@pytest.fixture(scope="module")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SeededStore, StoreProcess]]:
    seeded = seed_store(tmp_path_factory.mktemp("web-store") / "data")
    server = StoreProcess(seeded.data_dir, env={"BUNDLECAST_STORE_DEMO": "1"}).start()
    yield seeded, server
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
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _xdg_handler(root: Path, home: Path) -> dict[str, str]:
    """A test-owned XDG environment where ``bundlecast:`` opens ``python -m app`` with this test's profile."""
    entry = (REPO / "resources/linux/bundlecast.desktop").read_text()
    assert "x-scheme-handler/bundlecast" in entry  # the shipped entry registers the scheme
    root.mkdir(parents=True)
    launcher = root / "bundlecast-launch"
    launcher.write_text(
        f"#!/bin/sh\nexport BUNDLECAST_HOME='{home}'\ncd '{REPO}'\nexec '{sys.executable}' -m app \"$@\"\n"
    )
    launcher.chmod(0o755)
    apps = root / "data" / "applications"
    apps.mkdir(parents=True)
    (apps / "bundlecast.desktop").write_text(entry.replace("Exec=bundlecast %U", f"Exec={launcher} %u"))
    config = root / "config"
    config.mkdir()
    (config / "mimeapps.list").write_text("[Default Applications]\nx-scheme-handler/bundlecast=bundlecast.desktop\n")
    return {"XDG_DATA_HOME": str(root / "data"), "XDG_CONFIG_HOME": str(config), "XDG_DATA_DIRS": str(root / "data")}


def _wait(driver: WebDriver, css: str) -> None:
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, css))


def _navigated_to(driver: WebDriver, prefix: str) -> str:
    """The URL of a navigation the page started (from the DevTools performance log)."""
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        url = message.get("params", {}).get("request", {}).get("url") or message.get("params", {}).get("url", "")
        if message.get("method") in ("Page.frameRequestedNavigation", "Network.requestWillBeSent") and str(
            url
        ).startswith(prefix):
            return str(url)
    return ""


def test_a_fan_buys_in_chromium_and_opens_the_bundle_in_the_running_app(
    qtbot: QtBot, tmp_path: Path, chromium: WebDriver, web_store: tuple[SeededStore, StoreProcess]
) -> None:
    seeded, store = web_store
    email = f"browser-fan-{uuid.uuid4().hex[:8]}@example.com"
    driver = chromium
    # 1. The e-mail gate: sign up on the bundle's page, give the address, confirm the code the demo store shows.
    driver.get(f"{store.url}/bundles/{seeded.email}")
    assert driver.find_element(By.CSS_SELECTOR, 'meta[property="og:title"]').get_attribute("content") == "Email Bundle"
    driver.find_element(By.NAME, "email").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(FAN_PASSWORD)
    driver.find_element(By.ID, "signup").click()
    _wait(driver, "#email-form")
    driver.find_element(By.CSS_SELECTOR, "#email-form input[name=email]").send_keys(email)
    driver.find_element(By.NAME, "consent").click()
    driver.find_element(By.ID, "send-code").click()
    _wait(driver, "#dev-code")
    driver.find_element(By.NAME, "code").send_keys(driver.find_element(By.ID, "dev-code").text)
    driver.find_element(By.ID, "confirm").click()
    _wait(driver, "#owned-notice")
    # 2. Buy the paid bundle with a test card.
    driver.get(f"{store.url}/bundles/{seeded.paid}")
    driver.find_element(By.NAME, "number").send_keys("4242 4242 4242 4242")
    driver.find_element(By.NAME, "expiry").send_keys("12/40")
    driver.find_element(By.NAME, "cvc").send_keys("123")
    driver.find_element(By.ID, "pay").click()
    _wait(driver, "#open-in-app")
    session_cookie = driver.get_cookie("bc_session")
    assert session_cookie is not None and session_cookie["httpOnly"] and session_cookie["sameSite"] == "Lax"

    # 3. A running Bundlecast, signed in to the same store as the same fan, listening for other launches.
    home = tmp_path / "app-home"
    window: StoreWindow = open_store_window(qtbot, home, store.url, f"Bundlecast-webtest-{uuid.uuid4().hex[:8]}")
    server: InstanceServer = listen_for_other_launches(home / "config")
    received: list[list[str]] = []
    server.arguments_received.connect(received.append)
    server.arguments_received.connect(window.desktop.handle_arguments)  # as app.main connects them
    server.arguments_received.connect(window.section.open_links)
    try:
        window.section.backend.sign_in(email, FAN_PASSWORD)
        driver.get_log("performance")  # drop what came before the click
        driver.find_element(By.ID, "open-in-app").click()
        deadline = time.monotonic() + 15
        link = ""
        while not link and time.monotonic() < deadline:
            link = _navigated_to(driver, "bundlecast:")
            time.sleep(0.1)
        assert link == f"bundlecast://open/{seeded.paid}?store={store.url.replace(':', '%3A').replace('/', '%2F')}"
        env = {**os.environ, **_xdg_handler(tmp_path / "xdg", home)}
        opened = subprocess.run(["xdg-open", link], env=env, capture_output=True, text=True, timeout=60, check=False)
        assert opened.returncode == 0, opened.stderr
        qtbot.waitUntil(lambda: received == [[link]], timeout=30_000)
        page = window.section.store_page
        qtbot.waitUntil(lambda: page._showing_bundle(seeded.paid), timeout=30_000)
        assert page.bundle_page.title.text() == "Paid Bundle"
        assert window.section.backend.account_email() == email
    finally:
        server.close()
        close_store_window(window)
