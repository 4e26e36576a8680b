"""Builds the creator pages from the app's parts (a few lines in the window's assembler call this).

``build_creator_pages`` gives the Publish and Dashboard pages their verbs: a ``Publisher`` over the creator's
publishing folder, the engine (first seed), the creator API and the current session token; the dashboard's loaders
call the creator API. Runs on the main thread; the verbs it hands out block and are run by the pages' runner.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.engine import Engine
from app.library.publishing import Publisher, scan_folder
from app.store.creator import CreatorClient
from app.store.creator_keys import KeyringBundleKeys
from app.ui.creator.dashboard_page import DashboardPage
from app.ui.creator.publish_page import PublishPage
from app.ui.tasks import TaskRunner


def build_creator_pages(
    runner: TaskRunner,
    *,
    engine: Engine,
    store_url: str,
    token: Callable[[], str],
    work_root: Path,
) -> tuple[PublishPage, DashboardPage]:
    client = CreatorClient(store_url)

    def make_publisher() -> Publisher:
        return Publisher(
            work_root, keys=KeyringBundleKeys(), engine=engine, client=client, token=token(), store_url=store_url
        )

    publish = PublishPage(runner, make_publisher, scan_folder)
    dashboard = DashboardPage(
        runner,
        load=lambda: client.dashboard(token()),
        load_subscribers_csv=lambda bundle_id: client.subscribers_csv(token(), bundle_id),
    )
    publish.published.connect(lambda _bundle_id: dashboard.refresh())
    return publish, dashboard
