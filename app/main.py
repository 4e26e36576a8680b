"""Composition root: reads settings and paths, builds every part, injects them, and orders shutdown.

``python -m app [--store URL] [--minimized] [MAGNET | FILE.torrent …]`` opens the window. A second launch
hands its magnets and .torrent files to the running window and exits. ``--headless`` is the seedbox mode
(``app.headless.run_headless``). ``--loopback-test ADDRESS`` binds the engine to one loopback address with
DHT, LSD, UPnP, NAT-PMP and uTP off — for the end-to-end tests, never for users.

Order of things: paths → settings → Qt application and single-instance check → engine (started, its resume
files loaded) → store connection (the embedded demo store starts in the background) → window. Shutdown runs
the other way: window closed, workers drained, engine shut down (resume data of every torrent saved), player
released, store child process stopped.

Runs on the main thread; the parts start their own threads.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.engine.settings import EngineSettings
from app.paths import AppPaths
from app.settings import AppSettings, SettingsStore

if TYPE_CHECKING:
    from app.engine import Engine
    from app.player.playback import Playback
    from app.player.server import StreamServer
    from app.player.video import VideoBackend
    from app.store.account import StoreAccount
    from app.ui.assembly import AssembledWindow, PlayerDependencies
    from app.ui.desktop import Desktop
    from app.ui.single_instance import InstanceServer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LaunchOptions:
    store_url: str | None = None
    minimized: bool = False
    loopback_test_address: str | None = None
    sources: list[str] = field(default_factory=list)


def parse_options(args: list[str]) -> LaunchOptions:
    parser = argparse.ArgumentParser(
        prog="bundlecast",
        description="A BitTorrent client with a store inside.",
        epilog="bundlecast live create|broadcast … runs a creator's live events (bundlecast live --help).",
    )
    parser.add_argument("--store", metavar="URL", help="use this store instead of the built-in demo store")
    parser.add_argument("--minimized", action="store_true", help="start in the tray")
    parser.add_argument("--loopback-test", metavar="ADDRESS", help=argparse.SUPPRESS)
    parser.add_argument("sources", nargs="*", help="magnet links or .torrent files to add")
    ns = parser.parse_args(args)
    return LaunchOptions(
        store_url=ns.store, minimized=ns.minimized, loopback_test_address=ns.loopback_test, sources=ns.sources
    )


def base_engine_settings(options: LaunchOptions) -> EngineSettings:
    if options.loopback_test_address:
        return EngineSettings.for_loopback_tests(options.loopback_test_address)
    return EngineSettings()


@dataclass
class RunningApp:
    """Every part of one run of the desktop app, in the order they must stop."""

    window: AssembledWindow
    engine: Engine
    store: StoreOpener
    player: PlayerParts
    instance_server: InstanceServer

    @property
    def desktop(self) -> Desktop:
        """The window's shell."""
        return self.window.shell

    def shutdown(self) -> None:
        """Window and workers first (nothing asks the engine any more), then the engine (closes its streams, saves
        every torrent's resume data), and only then the player's native parts (VLC) and the embedded store's child
        process: whatever a native library does while it is torn down, the resume data is already on disk."""
        self.instance_server.close()
        self.desktop.close()
        self.engine.shutdown()
        self.player.stop()
        self.store.stop()


def build_app(paths: AppPaths, options: LaunchOptions) -> RunningApp | None:
    """Build and start every part, and show the window. None when another instance took the arguments.

    Needs the Qt application (``app.ui.application.create_application``) to exist.
    """
    from app.engine import Engine
    from app.library import LibraryIndex, StoreBackend
    from app.player.resume import ResumePositions
    from app.ui.application import forward_to_running_instance, listen_for_other_launches
    from app.ui.assembly import CreatorParts, StoreParts, assemble_window
    from app.ui.desktop import DesktopConfig

    if forward_to_running_instance(paths.config, options.sources):
        log.info("Bundlecast is already running; handed over %d argument(s)", len(options.sources))
        return None
    instance_server = listen_for_other_launches(paths.config)
    settings_store = SettingsStore(paths.config)
    settings = settings_store.load()
    if options.minimized:
        settings = settings.replace(start_minimized=True)
    base = base_engine_settings(options)
    engine = Engine(settings.engine_settings(base), paths.state)
    engine.start()
    store = StoreOpener(paths, options.store_url or settings.store_url or None)
    backend = StoreBackend(store.open)
    index = LibraryIndex(paths.data / "library.json")
    watch = ResumePositions(paths.state / "play-positions.json")
    from app.store.proxy_password import ProxyPasswords

    config = DesktopConfig(paths.config, paths.downloads, base, proxy_passwords=ProxyPasswords())
    player = PlayerParts.build(engine, throttle_others_to=settings.watching_throttle_bytes())
    window = assemble_window(engine, settings_store, settings, config,
                             store=StoreParts(backend, index, watch, paths.cache / "covers"),
                             player=player.dependencies(),
                             creator=CreatorParts(engine, lambda: backend.base_url, backend.session_token,
                                                  paths.data / "publishing"))
    desktop = window.shell
    desktop.settings_page.settings_saved.connect(player.apply_settings)
    if window.store is not None:
        store.on_progress = window.store.report_store_progress
    instance_server.arguments_received.connect(desktop.handle_arguments)
    if window.store is not None:  # issue 13: bundlecast:// links open the bundle's page in the Store tab
        instance_server.arguments_received.connect(window.store.open_links)
    desktop.start(options.sources)
    if window.store is not None:
        window.store.open_links(options.sources)
    return RunningApp(window, engine, store, player, instance_server)


# How often a Python thread holding the GIL must offer it to another (CPython's default is 5 ms). The window's
# slots and model are Python, so the UI thread waits for the GIL whenever the engine's alert thread or a worker
# runs Python. bench/ui_lag.py (1,000 torrents, 2 cores): longest UI stall 51.5 ms at the default vs 40-45 ms at
# 1 ms on a quiet machine, and 98 vs 39 ms in one pair of runs under load. Desktop only: headless keeps the default.
UI_GIL_SWITCH_INTERVAL_S = 0.001


def tune_interpreter_for_ui() -> None:
    sys.setswitchinterval(UI_GIL_SWITCH_INTERVAL_S)


def settle_heap_for_ui() -> None:
    """Once the window is built: collect the start's garbage, then keep the objects that live for the whole run out
    of every later collection (``gc.freeze``). A full collection walks every tracked object while it holds the GIL,
    on whichever thread triggers it (often the engine's alert thread, which makes 10,000 snapshots a second), so the
    UI waits for all of it; the ~100,000 objects of Qt, the modules and the window were most of that walk. Synthetic
    10,000-torrent batches (bench/ui_lag.py's load without the swarm), loaded machine: full collections of 54 and
    71 ms before, 17 ms after."""
    gc.collect()
    gc.freeze()


def run_desktop(paths: AppPaths, options: LaunchOptions) -> int:
    """Build the app, run its event loop until Quit, and shut it down in order."""
    from app.ui.application import create_application, quit_on_termination_signals, run_event_loop

    tune_interpreter_for_ui()
    qt_app = create_application()
    from app.ui.startup_window import show_startup_window  # a window at once, before the heavy parts load

    first_time = not (options.store_url or (paths.data / "store").exists())
    startup = None if options.minimized else show_startup_window(first_time=first_time)
    running = build_app(paths, options)
    if startup is not None:
        startup.close()
    if running is None:
        return 0
    settle_heap_for_ui()
    running.desktop.quit_requested.connect(qt_app.quit)
    quit_on_termination_signals(qt_app, running.desktop.request_quit)
    try:
        return run_event_loop(qt_app)
    finally:
        running.shutdown()


class StoreOpener:
    """Opens the fan's account at the configured store, or starts the embedded demo store first.

    ``open`` blocks (the demo store's first start builds its catalog): the UI calls it on a worker.
    """

    def __init__(self, paths: AppPaths, store_url: str | None) -> None:
        from app.store.embedded import EmbeddedStore

        self._store_url = store_url
        self._embedded = None if store_url else EmbeddedStore(paths.data / "store", paths.cache / "store")
        # Called on the worker that starts the embedded store with each new line of its log (the first start
        # builds the demo catalog, which takes a while); the UI sets it to a queued signal.
        self.on_progress: Callable[[str], None] | None = None

    def open(self) -> StoreAccount:
        from app.store.account import StoreAccount
        from app.store.client import StoreClient
        from app.store.vault import LicenseVault

        if self._embedded is not None:
            url = self._embedded.start(on_progress=self.on_progress)
            return StoreAccount(StoreClient(url), LicenseVault(), store_ref=self._embedded.store_ref)
        assert self._store_url is not None
        return StoreAccount(StoreClient(self._store_url), LicenseVault())

    def stop(self) -> None:
        if self._embedded is not None:
            self._embedded.stop()


class PlayerParts:
    """The player's Qt-free parts: the loopback stream server and the one VLC instance.

    Without VLC on the machine there is no Player tab; *Watch pilot* and *Play* then only download.
    """

    def __init__(self, playback: Playback | None, video: VideoBackend | None, server: StreamServer | None) -> None:
        self.playback, self.video, self.server = playback, video, server

    @classmethod
    def build(cls, engine: Engine, *, throttle_others_to: int = 0) -> PlayerParts:
        """``throttle_others_to``: bytes/s other torrents may download while something plays (0 = off)."""
        from app.player.errors import PlayerError
        from app.player.playback import Playback
        from app.player.server import StreamServer
        from app.player.video import VideoBackend

        try:
            video = VideoBackend()
            server = StreamServer()
            server.start()
        except PlayerError as exc:
            log.warning("No player this time: %s", exc)
            return cls(None, None, None)
        playback = Playback(engine, server, throttle_others_to=throttle_others_to)
        return cls(playback, video, server)

    def apply_settings(self, settings: AppSettings) -> None:
        """Take a saved "slow other downloads while watching" setting; it holds from the next file played."""
        if self.playback is not None:
            self.playback.throttle_others_to = settings.watching_throttle_bytes()

    def dependencies(self) -> PlayerDependencies | None:
        """What the window's Player section needs (None without VLC)."""
        if self.playback is None or self.video is None:
            return None
        from app.ui.assembly import PlayerDependencies

        return PlayerDependencies(self.playback, self.video)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.video is not None:
            self.video.release()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `bundlecast` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["live"]:  # `bundlecast live create|broadcast …`: a creator's live events, no window
        from app.library.live_cli import main as live_main

        return live_main(args[1:])
    if "--headless" in args:  # anywhere, and more than once: scripts/run-app.sh adds it on a machine without display
        from app.headless import run_headless

        return run_headless([arg for arg in args if arg != "--headless"])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = parse_options(args)
    return run_desktop(AppPaths.from_environment().ensure(), options)
