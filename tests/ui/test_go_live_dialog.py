"""The *Go live* dialog in a real Qt window (Xvfb) against a real store over HTTP: the creator makes a live event
(title, start, gate), goes live with the test pattern — the broadcaster is a child process — sees it on air and a
viewer counted while a viewer process plays the blocks, then stops: the store lists it under Live now while on air
and not after. The dialog is opened from the Dashboard's *Go live…* button, as a creator finds it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.live.node_config import LIVE_DELAY_S
from app.store.client import StoreClient
from app.store.creator import CreatorClient
from app.ui.creator.dashboard_page import DashboardPage
from app.ui.creator.live_dialog import GoLiveDialog
from app.ui.creator.wiring import go_live_dialog
from app.ui.tasks import ThreadPoolTaskRunner
from tests.live.swarm import LiveProcess
from tests.storefront.store_support import StoreProcess
from tests.support.creator_apps import PASSWORD, empty_store  # noqa: F401 - fixture
from tests.support.net import free_port, loopback_address

pytestmark = pytest.mark.timeout(150)


@pytest.fixture
def creator_token(empty_store: StoreProcess) -> Iterator[str]:  # noqa: F811 - the fixture imported above
    email = f"golive-{uuid.uuid4().hex[:8]}@example.test"
    with StoreClient(empty_store.url) as client:
        client.create_account(email, PASSWORD)
        token = client.sign_in(email, PASSWORD).token
    creator = CreatorClient(empty_store.url)
    creator.become_creator(token, "Dialog Tester")
    yield token
    creator.close()


def _live_now(store: StoreProcess) -> set[str]:
    with StoreClient(store.url) as client:
        return {entry.bundle_id for entry in client.live_listing().live_now}


def test_create_go_live_a_viewer_plays_and_stop(
    qtbot: QtBot,
    tmp_path: Path,
    empty_store: StoreProcess,  # noqa: F811 - the fixture imported above
    creator_token: str,
) -> None:
    store = empty_store
    runner = ThreadPoolTaskRunner()
    client = CreatorClient(store.url)
    opened: list[GoLiveDialog] = []

    def open_dialog(parent: QWidget) -> None:
        dialog = go_live_dialog(runner, lambda: store.url, lambda: creator_token, lambda: client, parent)
        opened.append(dialog)
        dialog.open()

    page = DashboardPage(runner, load=dict, load_subscribers_csv=lambda _b: "", go_live=open_dialog)
    qtbot.addWidget(page)
    page.show()
    assert page.go_live_button is not None
    page.go_live_button.click()
    qtbot.waitUntil(lambda: bool(opened) and opened[0].isVisible(), timeout=5_000)
    first = opened[0]
    first.create_event()
    assert first.message.text() == "Give the live event a title."
    host = loopback_address()
    first.title.setText("Dialog night")
    first.origin.setText(f"http://{host}:{free_port(host)}")
    first.gate.setCurrentIndex(first.gate.findData("free"))
    first.create_button.click()
    qtbot.waitUntil(lambda: first.pages.currentIndex() == 1, timeout=30_000)
    assert first.bundle_id and first.bundle_id not in _live_now(store)
    assert "“Dialog night” is announced" in first.event_label.text()
    first.reject()  # closed before going live: the event stays announced

    page.go_live_button.click()  # the creator comes back later: the event is offered again
    qtbot.waitUntil(lambda: len(opened) == 2 and opened[1].earlier_row.isVisibleTo(opened[1]), timeout=30_000)
    dialog = opened[1]
    assert dialog.earlier.count() == 1 and dialog.earlier.currentText().startswith("Dialog night (")
    dialog.earlier_button.click()
    assert dialog.bundle_id == first.bundle_id and dialog.pages.currentIndex() == 1
    viewer: LiveProcess | None = None
    try:

        dialog.source.setCurrentIndex(dialog.source.findData("pattern"))
        dialog.go_button.click()
        qtbot.waitUntil(lambda: dialog.state.text() == "On air", timeout=60_000)
        assert dialog.bundle_id in _live_now(store)

        with StoreClient(store.url) as fan:
            detail = fan.bundle(dialog.bundle_id)
            _, store_key = fan.public_key()
        manifest = tmp_path / "manifest.json"
        manifest.write_text(json.dumps({"payload": detail.manifest.payload, "signature": detail.manifest.signature}))
        viewer = LiveProcess(
            ["watch", "--host", loopback_address(), "--manifest", str(manifest), "--store-key", store_key,
             "--peers", dialog.viewer_address, "--report-blocks"]
        )  # fmt: skip
        qtbot.waitUntil(lambda: len(viewer.of("play")) >= 8, timeout=60_000)
        qtbot.waitUntil(lambda: dialog.viewers.text() == "1 viewer connected to you", timeout=15_000)
        assert f"Mbit/s; viewers about {LIVE_DELAY_S:.1f} s behind" in dialog.upload.text()

        dialog.stop_button.click()
        qtbot.waitUntil(lambda: dialog.state.text() == "The broadcast has ended", timeout=30_000)
        assert dialog.message.text().startswith("The broadcast has ended after")
        assert dialog.bundle_id not in _live_now(store)
    finally:
        if viewer is not None:
            viewer.stop()
        if dialog.broadcasting:
            dialog.stop()
            qtbot.waitUntil(lambda: not dialog.broadcasting, timeout=30_000)
        dialog.done(0)
        client.close()
