"""The one place that wires the window: the shell, then each section, then the signals between them.

``assemble_window`` builds the shell (``Desktop``: window, tray, engine bridge, Transfers, Settings) and the
sections — Store, Library, Player, the creator's Publish and Dashboard — each with explicit dependencies (the
``Library`` use cases, the store backend, the task runner, the shared cover cache, the player's parts), adds their
pages, and connects their signals to each other and to the shell's verbs. No section is handed the shell or
another section; nothing but this module knows them all. See docs/CONTRACTS.md, "How to add a page".

Main thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import SignalInstance

from app.library import Library, LibraryIndex, StoreBackend
from app.player.playback import Playback
from app.player.resume import ResumePositions
from app.player.video import VideoBackend
from app.settings import AppSettings, SettingsStore
from app.store import StoreClient
from app.ui.covers import CoverCache
from app.ui.creator.backing_panel import BackingPanel
from app.ui.creator.becoming import CreatorGate
from app.ui.creator.dashboard_page import DashboardPage
from app.ui.creator.publish_page import PublishPage
from app.ui.creator.wiring import build_backing_panel, build_creator_pages, build_release_bar
from app.ui.desktop import Desktop, DesktopConfig, DesktopEngine
from app.ui.library.page import LibraryPage
from app.ui.playable_copies_host import PlayableCopiesHost, build_playable_copies_host
from app.ui.player.host import PlayerHost
from app.ui.player.live_host import LiveWatchHost
from app.ui.player.live_session import store_live_loader
from app.ui.player.live_view import LiveView
from app.ui.player.page import PlayerPage
from app.ui.release_notices import ReleaseNoticeBar
from app.ui.store.dialogs import PaymentDialog
from app.ui.store.section import StoreSection
from app.ui.tasks import ThreadPoolTaskRunner
from app.ui.transfer_automation import TransferAutomation

if TYPE_CHECKING:
    from app.engine import Engine


@dataclass(frozen=True, slots=True)
class StoreParts:
    """The composition root's Qt-free parts behind the Store and Library sections."""

    backend: StoreBackend
    index: LibraryIndex
    watch: ResumePositions  # the player's resume positions: the Library shows progress from them
    cover_dir: Path


@dataclass(frozen=True, slots=True)
class PlayerDependencies:
    """The player's Qt-free parts (None of them when VLC is missing: no Player tab)."""

    playback: Playback
    video: VideoBackend
    live_listen_host: str = "0.0.0.0"  # noqa: S104 - the Live tab's overlay: every interface, like the engine (tests: 127.x)


@dataclass(frozen=True, slots=True)
class CreatorParts:
    """What the creator's pages need (docs/CONTRACTS.md, "Creator API"); both callables block: workers only."""

    engine: Engine  # the first seed of what the creator publishes
    store_url: Callable[[], str]  # the store's address (the embedded store may have to start first)
    token: Callable[[], str]  # the signed-in session's token (AuthRequired when signed out)
    work_root: Path  # the publishing jobs' folder


@dataclass
class AssembledWindow:
    """The shell and the sections of one run (tests and the composition root reach the parts from here)."""

    shell: Desktop
    library: Library | None = None
    store: StoreSection | None = None
    library_page: LibraryPage | None = None
    player: PlayerHost | None = None
    copies: PlayableCopiesHost | None = None  # the owner's playable copies (Music, Videos, Books)
    publish: PublishPage | None = None  # the creator's pages (only with CreatorParts)
    publish_tab: CreatorGate | None = None  # the Publish tab: sign in / become a creator / the Publish page
    card_dialog: PaymentDialog | None = None  # the backing panel's card dialog last opened (tests fill it in)
    release_bar: ReleaseNoticeBar | None = None  # "Episode 3 of Lumen Drift is out" (once the store is connected)
    dashboard: DashboardPage | None = None
    live: LiveWatchHost | None = None  # the Live tab: a live bundle's broadcast in the app's VLC


def assemble_window(
    engine: DesktopEngine,
    settings_store: SettingsStore,
    settings: AppSettings,
    config: DesktopConfig,
    *,
    store: StoreParts | None = None,
    player: PlayerDependencies | None = None,
    creator: CreatorParts | None = None,
    tasks: ThreadPoolTaskRunner | None = None,
) -> AssembledWindow:
    shell = Desktop(engine, settings_store, settings, config, tasks=tasks)
    window = AssembledWindow(shell)
    if store is None:
        return window
    tasks_ = shell.tasks
    library = Library(store.backend, engine, store.index, shell.download_dir, store.watch,  # type: ignore[arg-type]
                      kept_live_root=kept_live_root(store))  # fmt: skip
    # Covers decode on a worker of their own: decoding threads compete with the UI thread for the GIL; 4 delayed
    # the UI thread up to 88 ms against 28 ms with one (/tmp micro-bench, 300x400 PNGs; see FIELD-NOTES-FOUND).
    cover_tasks = ThreadPoolTaskRunner(max_threads=1, parent=shell)

    def wait_for_covers() -> None:  # a fetch still running when the window closes finishes first
        cover_tasks.wait_for_done(5_000)

    shell.add_close_hook(wait_for_covers)
    covers = CoverCache(store.backend.fetch_cover, cover_tasks, store.cover_dir, shell)
    window.library = library
    window.store = StoreSection(store.backend, library, tasks_, covers, parent=shell)
    window.library_page = LibraryPage(library, tasks_, covers, parent=shell.window)
    window.copies = build_playable_copies_host(
        store.index, engine, library.adder.verified_manifest,
        store.backend.licenses_for_bundle, tasks_, parent=shell)
    shell.add_page(window.store.store_page, "Store")
    shell.add_page(window.library_page, "Library")
    if player is not None:
        page = PlayerPage(player.playback, player.video, store.watch, tasks_, parent=shell.window)
        window.player = PlayerHost(page, library, tasks_, parent=shell)
        shell.add_page(page, "Player")
        shell.add_close_hook(window.player.shutdown)  # saves the position, frees VLC before the engine stops
        window.live = _build_live_watching(window, store, player)
    if creator is not None:
        window.publish_tab, window.dashboard = build_creator_pages(
            tasks_, engine=creator.engine, store_url=creator.store_url, token=creator.token,
            work_root=creator.work_root)
        window.publish = window.publish_tab.page
        shell.add_page(window.publish_tab, "Publish")
        shell.add_page(window.dashboard, "Dashboard")
    _wire(window)
    _wire_release_bar(window, store, auto_download=lambda: shell.settings.auto_download_releases)  # live choice
    _wire_backing_panel(window, store)
    return window


def _wire(window: AssembledWindow) -> None:
    shell, store, library, player = window.shell, window.store, window.library_page, window.player
    assert store is not None and library is not None
    bridge = shell.bridge
    shell.started.connect(store.start)
    store.status.connect(shell.show_status)

    def show_store() -> None:  # a bundlecast: link: the window forward, on the Store tab
        shell.window.bring_to_front()
        shell.show_page(store.store_page)

    store.show_requested.connect(show_store)
    store.notification.connect(shell.notify)
    store.library_changed.connect(library.refresh)
    library.refreshed.connect(lambda _count: store.actions.show_badges())  # pledges the Library's refresh read
    bridge.stats_updated.connect(library.apply_stats)
    bridge.torrent_removed.connect(library.forget_torrent)
    library.download_requested.connect(store.download)
    library.rebuild_requested.connect(store.rebuild)
    library.remove_torrent_requested.connect(
        lambda tid: shell.tasks.run(lambda: shell.engine.remove(tid, delete_data=True)))
    library.seed_limits_requested.connect(lambda tid: shell.transfers.row_actions.ask_seed_limits([tid]))
    library.apply_stats(tuple(shell.engine.snapshots()))
    publish_tab = window.publish_tab
    if publish_tab is not None:  # signing in or out changes what the Publish tab shows
        store.actions.account_changed.connect(lambda _email: publish_tab.refresh())
        shell.started.connect(publish_tab.page.look_for_unfinished)  # a publish the app was closed in: offered back
        publish_tab.page.unfinished_found.connect(shell.show_status)
    _wire_playable_copies(window)
    if player is None:
        return
    store.play_requested.connect(player.play)
    store.pilot_ready.connect(player.play_pilot)
    library.play_requested.connect(lambda bundle_id, path: player.play(bundle_id, path or None))
    player.show_requested.connect(lambda: shell.show_page(player.page))
    player.status.connect(shell.show_status)
    player.library_changed.connect(library.refresh)
    player.offer_requested.connect(lambda _bundle_id: shell.show_page(store.store_page))
    player.offer_requested.connect(store.open_bundle)


def _build_live_watching(window: AssembledWindow, parts: StoreParts, player: PlayerDependencies) -> LiveWatchHost:
    """The Live tab: a live bundle's *Watch* joins its swarm and plays it in the app's VLC (docs/CONTRACTS.md,
    "Live in the app"); the Store's *Watch* (``StoreSection.watch_live_requested``) starts it."""
    shell, library = window.shell, window.library
    assert library is not None
    view = LiveView(parent=shell.window)
    load = store_live_loader(parts.backend, library.adder.verified_manifest, listen_host=player.live_listen_host)
    host = LiveWatchHost(view, player.playback, player.video, shell.tasks, load, kept_root=kept_live_root(parts),
                         upload_bps=lambda: shell.settings.live_upload_bps(),  # noqa: PLW0108 - settings are replaced on save
                         parent=shell)  # fmt: skip
    wire_live_sharing_to(host, shell.automation)
    shell.add_page(view, "Live")
    shell.add_close_hook(host.shutdown)  # leaves the swarm, frees VLC before the engine stops
    host.show_requested.connect(lambda: shell.show_page(view))
    host.status.connect(shell.show_status)
    if window.store is not None:
        wire_live_watching_to(host, window.store.watch_live_requested)
        host.offer_requested.connect(lambda _bundle_id: shell.show_page(window.store.store_page) if window.store
                                     else None)  # fmt: skip
        host.offer_requested.connect(window.store.open_bundle)
    return host


def kept_live_root(parts: StoreParts) -> Path:
    """Where the Live tab keeps what it played, per live bundle, until its recording is added (beside the index)."""
    return parts.index.path.with_name("live-kept")


def wire_live_sharing_to(host: LiveWatchHost, automation: TransferAutomation) -> None:
    """No uploads on a metered connection (the Settings' choice, ``TransferAutomation.uploads_allowed``) holds for
    the Live tab's viewer too: it relays nothing while they are not allowed, and again when they are; a new live
    upload cap in the Settings holds at once."""
    automation.uploads_allowed_changed.connect(host.set_sharing)
    automation.live_upload_changed.connect(host.set_upload_cap)  # a new cap holds in the running session too
    host.set_sharing(automation.uploads_allowed)


def wire_live_watching_to(host: LiveWatchHost, watch_requested: SignalInstance) -> None:
    """``watch_requested(bundle_id)`` (the Store's *Watch* on a live bundle) plays that broadcast in the Live tab."""
    watch_requested.connect(host.watch)


def _wire_release_bar(window: AssembledWindow, parts: StoreParts, *, auto_download: Callable[[], bool]) -> None:
    """The fan's new-release bar over the tabs, made when the store first connects (its address is known then):
    it checks the bundles the fan owns or backed at once (launch), every three hours, and each time the Library is
    shown; when ``auto_download()`` (the Settings choice, read at each new release) says so, the Library follows the
    grown bundle (``Library.follow_release``: added onto the fan's copy, the record's torrent and manifest updated)."""
    shell, store, library_page, library = window.shell, window.store, window.library_page, window.library
    assert store is not None and library_page is not None and library is not None
    index = parts.index
    licensed: list[frozenset[str]] = [frozenset()]  # owned or pledged per the store section's badges (main thread)

    def keep_badges(owned_ids: frozenset[str], pledged_ids: frozenset[str]) -> None:
        licensed[0] = owned_ids | pledged_ids  # replaced whole: the worker reads one frozen set

    def owned() -> list[str]:  # on a worker: the Library's bundles and those the fan holds a license for or backed
        return sorted({record.bundle_id for record in index.all()} | licensed[0])

    def build(_info: object) -> None:
        if window.release_bar is not None:
            return
        bar = build_release_bar(
            shell.tasks, store=StoreClient(parts.backend.base_url),
            state_file=index.path.with_name("release-notices.json"),
            owned=owned, follow_release=library.follow_release, auto_download=auto_download,
        )  # fmt: skip
        window.release_bar = bar
        shell.window.add_bar(bar)
        bar.released.connect(lambda notice: shell.notify("New release", notice.text))
        bar.released.connect(lambda _notice: library_page.refresh(sync=False))
        bar.check_now()

    def library_shown(_index: int) -> None:
        if window.release_bar is not None and shell.window.tabs.currentWidget() is library_page:
            window.release_bar.check_now()

    store.actions.badges_changed.connect(keep_badges)
    store.actions.store_connected.connect(build)
    shell.window.tabs.currentChanged.connect(library_shown)


def _wire_backing_panel(window: AssembledWindow, parts: StoreParts) -> None:
    """A campaign bundle's store page hosts the backing panel (tiers, "You backed this", change or cancel before the
    deadline, the creator's updates); the page's one-tier *Pledge* button goes once the store says the fan backed."""
    shell, store = window.shell, window.store
    assert store is not None
    page, actions = store.store_page.bundle_page, store.actions

    def ask_card(holder: dict[str, dict[str, object]], then: Callable[[], None]) -> None:
        info = actions.store_info
        cards = info.test_cards if info is not None and info.demo else ()
        dialog = PaymentDialog("Back this campaign", "The card is charged only if the goal is met.", cards,
                               ok_text="Pledge", parent=shell.window)  # fmt: skip
        window.card_dialog = dialog

        def submitted() -> None:
            card = dialog.card()
            holder["card"] = {"number": card.number, "exp_month": card.exp_month, "exp_year": card.exp_year,
                              "cvc": card.cvc}  # fmt: skip
            dialog.accept()
            then()

        dialog.submitted.connect(submitted)
        dialog.finished.connect(lambda _result: dialog.deleteLater())
        dialog.open()

    backed = [False]  # what the panel last read from the store

    def offer_pledge_button() -> None:  # the page's one-tier Pledge only while this fan has not backed it
        if page.panel is not None and backed[0]:
            page.buttons["pledge"].setVisible(False)

    def show_backed(is_backed: bool) -> None:
        backed[0] = is_backed
        page.buttons["pledge"].setVisible(offered[0] and not is_backed)

    offered = [False]  # whether the page itself offers its Pledge button (campaign open, not owned)

    def show_panel(detail: object, _owned: bool) -> None:
        campaign = getattr(detail, "campaign", None)
        backed[0], offered[0] = False, not page.buttons["pledge"].isHidden()
        if campaign is None:
            page.set_panel(None)
            return
        holder: dict[str, dict[str, object]] = {}
        panel = build_backing_panel(
            shell.tasks, store_url=parts.backend.base_url, token=parts.backend.session_token, campaign_id=campaign.id,
            card=lambda: holder["card"], ask_card=lambda then: ask_card(holder, then),
        )  # fmt: skip
        page.set_panel(panel)
        panel.backed_shown.connect(show_backed)
        panel.changed.connect(actions.refresh_badges)
        panel.refresh()

    def refreshed(_detail: object, _owned: bool) -> None:  # the page re-read the bundle (and its buttons)
        offered[0] = not page.buttons["pledge"].isHidden()
        offer_pledge_button()

    actions.bundle_loaded.connect(show_panel)
    actions.bundle_refreshed.connect(refreshed)
    actions.pledged.connect(lambda _bundle_id, _title: page.panel.refresh() if isinstance(page.panel, BackingPanel)
                            else None)  # fmt: skip


def _wire_playable_copies(window: AssembledWindow) -> None:
    """Playable copies follow the downloads, the owner's choices on a bundle's page and the licenses."""
    shell, store, copies = window.shell, window.store, window.copies
    assert store is not None and copies is not None and window.library is not None
    page, index = store.store_page.bundle_page, window.library.index
    shell.bridge.torrent_finished.connect(copies.on_torrent_finished)
    shell.bridge.torrent_removed.connect(copies.on_torrent_removed)
    page.remove_copies_with_bundle_changed.connect(copies.set_remove_with_bundle)
    page.playable_copies_changed.connect(
        lambda bundle_id, on: copies.set_choice(bundle_id, on, [r.bundle_id for r in index.all()]))
    page.open_book_requested.connect(copies.open_book)
    if window.library_page is not None:  # the Library's Read (and double-click on a book) too
        window.library_page.read_requested.connect(copies.open_book)
    store.actions.bundle_loaded.connect(
        lambda detail, _owned: page.show_playable_copies(copies.wants(detail.id), copies.copies.choices.for_all,
                                                         copies.copies.choices.remove_with_bundle))
    store.actions.store_connected.connect(lambda _info: copies.sync_all(r.bundle_id for r in index.all()))
    store.actions.license_acquired.connect(lambda bundle_id, _t: copies.sync(bundle_id))
    copies.failed.connect(shell.show_status)
