"""Builds the creator pages, the campaign backing panel and the new-release bar from the app's parts (a few lines
in the window's assembler call these).

``build_creator_pages`` gives the Publish tab (the *Become a creator* step in front of the Publish page) and the
Dashboard page their verbs: a ``Publisher`` over the creator's
publishing folder, the engine (first seed), the creator API and the current session token; the dashboard's loaders
call the creator API. The store's address is asked for lazily (the embedded store may have to start first) and the
creator API client is made on first use. Runs on the main thread; the verbs it hands out block and are run by the
pages' runner (``app.ui.assembly`` calls it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QWidget

from app.engine import Engine
from app.library.live_cli import broadcaster_command
from app.library.live_events import CreatedLive, LiveEventRequest, LiveEvents, OwnEvent
from app.library.publishing import Publisher, scan_folder
from app.library.release_notices import ReleaseWatcher
from app.store import StoreClient
from app.store.creator import CreatorClient
from app.store.creator_keys import KeyringBundleKeys
from app.store.errors import AuthRequired
from app.store.models import Campaign
from app.store.stream_keys import KeyringStreamKeys
from app.ui.creator.backing_panel import BackingPanel, BackingState
from app.ui.creator.becoming import CreatorGate
from app.ui.creator.dashboard_page import DashboardPage
from app.ui.creator.live_dialog import GoLiveDialog
from app.ui.creator.publish_page import PublishPage
from app.ui.release_notices import ReleaseNoticeBar
from app.ui.tasks import TaskRunner


def build_creator_pages(
    runner: TaskRunner,
    *,
    engine: Engine,
    store_url: Callable[[], str],
    token: Callable[[], str],
    work_root: Path,
) -> tuple[CreatorGate, DashboardPage]:
    """The Publish tab (``CreatorGate`` over the ``PublishPage``: sign in / become a creator / publish) and the
    Dashboard. ``store_url`` and ``token`` block (the embedded store's start, the keyring): called on workers."""
    made: list[CreatorClient] = []
    lock = threading.Lock()

    def creator_client() -> CreatorClient:
        with lock:
            if not made:
                made.append(CreatorClient(store_url()))
            return made[0]

    def make_publisher() -> Publisher:
        return Publisher(
            work_root,
            keys=KeyringBundleKeys(),
            engine=engine,
            client=creator_client(),
            token=token(),
            store_url=store_url(),
        )

    publish = PublishPage(runner, make_publisher, scan_folder)
    dashboard = DashboardPage(
        runner,
        load=lambda: creator_client().dashboard(token()),
        load_subscribers_csv=lambda bundle_id: creator_client().subscribers_csv(token(), bundle_id),
        go_live=lambda parent: go_live_dialog(runner, store_url, token, creator_client, parent).open(),
        refund=lambda charge_id: creator_client().refund_sale(token(), charge_id),
    )
    publish.published.connect(lambda _bundle_id: dashboard.refresh())
    gate = CreatorGate(
        runner, publish,
        role=lambda: bool(creator_client().me(token())["creator"]),
        become=lambda name: creator_client().become_creator(token(), name),
    )  # fmt: skip
    return gate, dashboard


def go_live_dialog(
    runner: TaskRunner,
    store_url: Callable[[], str],
    token: Callable[[], str],
    creator_client: Callable[[], CreatorClient],
    parent: QWidget | None = None,
) -> GoLiveDialog:
    """The *Go live* dialog: the event made through the store on a worker, the broadcast in a child process."""

    def create(request: LiveEventRequest) -> CreatedLive:
        with StoreClient(store_url()) as store:
            return LiveEvents(store, creator_client(), token(), KeyringStreamKeys()).create(request)

    def own_events() -> list[OwnEvent]:
        with StoreClient(store_url()) as store:
            return LiveEvents(store, creator_client(), token(), KeyringStreamKeys()).own_events()

    def command(bundle_id: str, source: str) -> tuple[list[str], dict[str, str]]:
        return broadcaster_command(store_url(), token(), bundle_id, source)

    return GoLiveDialog(runner, create, command, parent, own_events=own_events)


def build_backing_panel(
    runner: TaskRunner,
    *,
    store_url: str,
    token: Callable[[], str],
    campaign_id: str,
    card: Callable[[], dict[str, object]],
    ask_card: Callable[[Callable[[], None]], None] | None = None,
) -> BackingPanel:
    """The campaign page's backing panel for ``campaign_id``. ``card`` (on a worker) gives the card to hold;
    ``ask_card(then)`` (main thread) lets the fan type it first (a window-modal dialog), then calls ``then``."""
    client = CreatorClient(store_url)

    def mine() -> dict[str, object]:  # signed out: no pledge of mine (pledging asks to sign in)
        try:
            return client.my_pledge(token(), campaign_id)
        except AuthRequired:
            return {}

    def state() -> Campaign:  # open, or ended with the goal met or missed
        with StoreClient(store_url) as store:
            return store.campaign(campaign_id)

    return BackingPanel(
        runner,
        load=lambda: BackingState(client.tiers(campaign_id), mine(), client.updates(campaign_id), state()),
        set_tier=lambda tier_id: client.pledge_tier(token(), campaign_id, tier_id, card()),
        cancel=lambda: client.cancel_pledge(token(), campaign_id),
        ask_card=ask_card,
    )


def build_release_bar(
    runner: TaskRunner,
    *,
    store: StoreClient,
    state_file: Path,
    owned: Callable[[], list[str]],
    follow_release: Callable[[str], object],
    auto_download: Callable[[], bool],
) -> ReleaseNoticeBar:
    """The new-release bar over the bundles the fan owns or backed (``owned``); when ``auto_download()`` (the
    Settings choice, read at each new release) says so, ``follow_release(bundle_id)`` (``Library.follow_release``)
    adds the grown bundle where the fan's copy is and points the Library at it."""
    watcher = ReleaseWatcher(store, state_file)
    return ReleaseNoticeBar(
        runner,
        lambda: watcher.check(owned()),
        lambda notice: follow_release(notice.bundle_id),
        auto_download_on=auto_download,
    )
