"""The Publish tab in the whole window against a real store of its own over HTTP (Xvfb): signed out it says to sign in;
a fan without the creator role sees what being a creator means and *Become a creator*; after pressing it the store
has made the account a creator and the Publish page opens — signing out shows the sign-in sentence again. A publish
the app was closed in (while uploading, while encrypting) is offered back at the next start — Discard lets the
store's draft go, Resume finishes it and the creator seeds it — and nothing half-published or unconfirmed ever
appears in the catalog."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.bundle import BundleKind, GateType
from app.library.publishing import Publisher, PublishRequest
from app.store.account import StoreAccount
from app.store.client import StoreClient
from app.store.creator import CreatorClient
from app.store.creator_keys import KeyringBundleKeys
from app.store.vault import LicenseVault
from app.ui.creator.becoming import SIGN_IN_FIRST, CreatorGate
from tests.support.creator import episodes
from tests.ui.store_driving import PASSWORD, new_email, sign_up_in_dialog
from tests.ui.store_fixtures import StoreWindow, close_store_window, open_store_window

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def creator_window(qtbot: QtBot, tmp_path: Path, creator_store_url: str, keyring_service: str) -> Iterator[StoreWindow]:
    window = open_store_window(qtbot, tmp_path, creator_store_url, keyring_service, creator=True)
    yield window
    close_store_window(window)
    LicenseVault(service=keyring_service).forget_store(creator_store_url)


def _tab(window: StoreWindow) -> CreatorGate:
    tab = window.window.publish_tab
    assert tab is not None
    return tab


def test_becoming_a_creator_is_a_step_in_the_publish_tab(qtbot: QtBot, creator_window: StoreWindow) -> None:
    window, tab = creator_window, _tab(creator_window)
    assert "Publish" in window.desktop.window.page_titles()
    window.desktop.show_page(tab)
    qtbot.waitUntil(lambda: tab.currentWidget() is tab.signed_out, timeout=30_000)
    assert tab.signed_out.text() == SIGN_IN_FIRST and tab.signed_out.isVisible()

    email = new_email()
    window.section.store_page.sign_in_button.click()
    sign_up_in_dialog(qtbot, window, email)
    qtbot.waitUntil(lambda: tab.currentWidget() is tab.intro, timeout=30_000)
    assert tab.become_button.isVisible() and "first seed" in tab.explanation.text()
    assert not window.window.publish or not window.window.publish.isVisible()

    tab.become_button.click()  # no name yet: a sentence, nothing asked of the store
    assert tab.error.text() == "Give the name fans will see on your bundles."
    assert tab.currentWidget() is tab.intro
    tab.display_name.setText("Mara Okafor")
    tab.become_button.click()
    qtbot.waitUntil(lambda: tab.currentWidget() is tab.page, timeout=30_000)
    assert tab.page.isVisible() and tab.page.folder_button.isVisible()

    with StoreClient(window.store_ref) as elsewhere:  # the store's own answer, read by another client
        profile = CreatorClient(window.store_ref).me(elsewhere.sign_in(email, PASSWORD).token)
    assert profile["creator"] is True and profile["display_name"] == "Mara Okafor"

    window.section.actions.sign_out()  # signed out, the tab says to sign in again
    qtbot.waitUntil(lambda: tab.currentWidget() is tab.signed_out, timeout=30_000)


class _CrashError(Exception):
    """The app dying in the middle of a step."""


def _crash_at(step: str) -> Callable[[str, int, int], None]:
    def progress(at: str, _done: int, _total: int) -> None:
        if at == step:
            raise _CrashError(step)

    return progress


def _catalog_titles(url: str, query: str) -> set[str]:
    with StoreClient(url) as client:
        return {item.title for item in client.catalog(q=query).items}


def test_a_publish_the_app_was_closed_in_is_offered_back_resumed_or_discarded(
    qtbot: QtBot, tmp_path: Path, creator_store_url: str, keyring_service: str
) -> None:
    email, tag = new_email(), uuid.uuid4().hex[:6]
    with StoreClient(creator_store_url) as client:
        client.create_account(email, PASSWORD)
        token = client.sign_in(email, PASSWORD).token
    creators = CreatorClient(creator_store_url)
    creators.become_creator(token, "Mara")
    # The previous run of the app: two publishes stopped halfway (one while uploading, one while encrypting).
    publisher = Publisher(tmp_path / "publishing", keys=KeyringBundleKeys(), client=creators, token=token,
                          store_url=creator_store_url)  # fmt: skip
    jobs: dict[str, str] = {}
    for title, step in ((f"Night Train {tag}", "uploading"), (f"Lumen Drift {tag}", "encrypting")):
        job = publisher.plan(PublishRequest(
            folder=episodes(tmp_path / title, {"pilot.bin": 40_000, "e1.bin": 300_000}), title=title,
            kind=BundleKind.SERIES, gate=GateType.PAID, locked=frozenset({"e1.bin"}), price_cents=499))  # fmt: skip
        with pytest.raises(_CrashError):
            publisher.run(job, progress=_crash_at(step))
        jobs[title] = job
    night_draft = publisher.journal(jobs[f"Night Train {tag}"]).draft_id
    assert night_draft is not None and _catalog_titles(creator_store_url, tag) == set()  # nothing half-published

    # The app starts again, the account remembered: the Publish tab offers each back, and waits for the creator.
    vault = LicenseVault(service=keyring_service)
    StoreAccount(StoreClient(creator_store_url), vault, store_ref=creator_store_url).sign_in(email, PASSWORD)
    window = open_store_window(qtbot, tmp_path, creator_store_url, keyring_service, creator=True)
    try:
        tab, page = _tab(window), window.window.publish
        assert page is not None
        window.desktop.show_page(tab)
        qtbot.waitUntil(lambda: tab.currentWidget() is page and page.unfinished_box.isVisible(), timeout=30_000)
        handled: list[str] = []
        for _ in jobs:
            qtbot.waitUntil(lambda: page.unfinished_box.isVisible()
                            and not any(t in page.unfinished_text.text() for t in handled), timeout=30_000)  # fmt: skip
            offered = page.unfinished_text.text()
            assert "stopped before it finished" in offered and page.resume_button.isVisible()
            if "Night Train" in offered:
                handled.append("Night Train")
                page.discard_button.click()
                qtbot.waitUntil(lambda: page.status.text().startswith("Discarded"), timeout=30_000)
                assert creators.draft(token, night_draft)["state"] == "abandoned"  # the store let it go
                assert not publisher.job_dir(jobs[f"Night Train {tag}"]).exists()
            else:
                handled.append("Lumen Drift")
                assert _catalog_titles(creator_store_url, tag) == set()  # offered, never resumed silently
                page.resume_button.click()
                qtbot.waitUntil(lambda: page.status.text().startswith("Published"), timeout=60_000)
                torrent_id = publisher.journal(jobs[f"Lumen Drift {tag}"]).torrent_id
                assert torrent_id is not None and window.engine.has_torrent(torrent_id)  # the creator seeds it
        assert sorted(handled) == ["Lumen Drift", "Night Train"]
        assert publisher.unfinished() == []  # nothing is left to offer at the next start
        assert page.unfinished_box.isHidden() and page.error.text() == ""
        assert _catalog_titles(creator_store_url, tag) == {f"Lumen Drift {tag}"}
    finally:
        close_store_window(window)
        LicenseVault(service=keyring_service).forget_store(creator_store_url)
