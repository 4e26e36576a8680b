"""The one place that wires the window: the shell, then each section, then the signals between them.

``assemble_window`` builds the shell (``Desktop``: window, tray, engine bridge, Transfers, Settings) and the
sections — Store, Library, Player — each with explicit dependencies (the ``Library`` use cases, the store backend,
the task runner, the shared cover cache, the player's parts), adds their pages, and connects their signals to each
other and to the shell's verbs. No section is handed the shell or another section; nothing but this module knows
them all. See docs/CONTRACTS.md, "How to add a page".

Main thread only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.library import Library, LibraryIndex, StoreBackend
from app.player.playback import Playback
from app.player.resume import ResumePositions
from app.player.video import VideoBackend
from app.settings import AppSettings, SettingsStore
from app.ui.covers import CoverCache
from app.ui.desktop import Desktop, DesktopConfig, DesktopEngine
from app.ui.library.page import LibraryPage
from app.ui.player.host import PlayerHost
from app.ui.player.page import PlayerPage
from app.ui.store.section import StoreSection
from app.ui.tasks import ThreadPoolTaskRunner


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


@dataclass
class AssembledWindow:
    """The shell and the sections of one run (tests and the composition root reach the parts from here)."""

    shell: Desktop
    library: Library | None = None
    store: StoreSection | None = None
    library_page: LibraryPage | None = None
    player: PlayerHost | None = None


def assemble_window(
    engine: DesktopEngine,
    settings_store: SettingsStore,
    settings: AppSettings,
    config: DesktopConfig,
    *,
    store: StoreParts | None = None,
    player: PlayerDependencies | None = None,
    tasks: ThreadPoolTaskRunner | None = None,
) -> AssembledWindow:
    shell = Desktop(engine, settings_store, settings, config, tasks=tasks)
    window = AssembledWindow(shell)
    if store is None:
        return window
    tasks_ = shell.tasks
    library = Library(store.backend, engine, store.index, shell.download_dir, store.watch)  # type: ignore[arg-type]
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
    shell.add_page(window.store.store_page, "Store")
    shell.add_page(window.library_page, "Library")
    if player is not None:
        page = PlayerPage(player.playback, player.video, store.watch, tasks_, parent=shell.window)
        window.player = PlayerHost(page, library, tasks_, parent=shell)
        shell.add_page(page, "Player")
        shell.add_close_hook(window.player.shutdown)  # saves the position, frees VLC before the engine stops
    _wire(window)
    return window


def _wire(window: AssembledWindow) -> None:
    shell, store, library, player = window.shell, window.store, window.library_page, window.player
    assert store is not None and library is not None
    bridge = shell.bridge
    shell.started.connect(store.start)
    store.status.connect(shell.show_status)
    store.notification.connect(shell.notify)
    store.library_changed.connect(library.refresh)
    bridge.stats_updated.connect(library.apply_stats)
    bridge.torrent_removed.connect(library.forget_torrent)
    library.download_requested.connect(store.download)
    library.rebuild_requested.connect(store.rebuild)
    library.remove_torrent_requested.connect(
        lambda tid: shell.tasks.run(lambda: shell.engine.remove(tid, delete_data=True)))
    library.apply_stats(tuple(shell.engine.snapshots()))
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
