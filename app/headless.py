"""Headless seedbox mode: `python -m app --headless [options] [add SOURCE …]`.

Runs the engine on the user's state dir (``AppPaths``; ``BUNDLECAST_HOME`` or ``--state-dir`` override it),
adds the given .torrent files or magnet links, prints a compact status line per torrent every few seconds,
and on SIGINT or SIGTERM saves everything (the engine's shutdown count-down) and exits 0. Runs on the main
thread; engine events arrive on the engine's alert thread and are only printed.

Options for tests and seedboxes:
  --state-dir DIR        engine state (session parameters, resume files); default: the app's state dir,
                         the same one the desktop app uses
  --download-dir DIR     where added torrents are saved; default: the app's downloads folder
  --listen ADDR:PORT     listen interface (default 0.0.0.0:6881)
  --test-network ADDR    loopback test peer on ADDR: DHT, LSD, UPnP, NAT-PMP and uTP off (FIELD-NOTES)
  --peer HOST:PORT       connect every torrent to this peer, again whenever it has none (repeatable)
  --upload-limit B/s     per-torrent upload limit for added torrents (0 = unlimited)
  --download-limit B/s   per-torrent download limit for added torrents
  --status-interval S    seconds between status checks (default 5)
  --webui [ADDR:]PORT    the remote control (qBittorrent-style Web API v2 and a web page, docs/REMOTE-API.md);
                         off unless given, on 127.0.0.1 unless an address is given; needs a password:
  --set-webui-password   read a password from stdin, keep its argon2 hash in the state dir, and exit
                         (--webui-user NAME, default admin)
  --watch DIR            add every .torrent dropped into DIR once (then moved to DIR/added; see watched_folder)
  --rss                  check the RSS rules of rss-rules.json (config folder; the desktop's editor writes it)
                         every 15 minutes and add what matches
  --json                 one JSON object per line, for machines (``{"event": "torrent", "id": …}``)
  --format lines         the terse ``key=value`` lines of earlier versions (scripts, tests)
SIGUSR1 prints every thread's Python stack on stderr and goes on (for a seedbox that seems stuck).
By default it prints sentences with names and human units, and of the periodic status only what changed (see
``seedbox_output``). Sources that cannot be added are reported on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from types import FrameType

from app.automation.rss import RssDownloader, load_rules
from app.automation.watched_folder import WatchedFolder
from app.engine import (
    Engine,
    EngineError,
    EngineSettings,
    TorrentState,
)
from app.paths import AppPaths
from app.remote.api import RemoteApi
from app.remote.auth import CredentialsMissingError, load_credentials, save_credentials
from app.remote.server import RemoteServer, RemoteServerError
from app.seedbox_output import FORMATS, SeedboxOutput

PEER_RETRY_SECONDS = 2.0
WATCH_SECONDS = 2.0
RSS_SECONDS = 15 * 60.0


def _parse(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bundlecast --headless", description="Bundlecast seedbox mode.")
    parser.add_argument("--state-dir", type=Path)
    parser.add_argument("--download-dir", type=Path)
    parser.add_argument("--listen")
    parser.add_argument("--test-network", metavar="ADDR")
    parser.add_argument("--peer", action="append", default=[])
    parser.add_argument("--upload-limit", type=int, default=None)
    parser.add_argument("--download-limit", type=int, default=None)
    parser.add_argument("--status-interval", type=float, default=5.0)
    parser.add_argument("--json", action="store_true", help="one JSON object per line, for machines")
    parser.add_argument("--webui", metavar="[ADDR:]PORT", help="serve the remote control (off by default)")
    parser.add_argument("--set-webui-password", action="store_true", help="read the remote password from stdin")
    parser.add_argument("--webui-user", default="admin")
    parser.add_argument("--watch", type=Path, help="a watched folder of .torrent files")
    parser.add_argument("--rss", action="store_true", help="RSS auto-download with the saved rules")
    parser.add_argument("--format", choices=FORMATS, default="human", help="human (default), json or lines")
    parser.add_argument("command", nargs="?", choices=["add"])
    parser.add_argument("sources", nargs="*")
    # `make run ARGS="--headless"` on a machine without a display passes the flag twice (scripts/run-app.sh).
    return parser.parse_args([arg for arg in args if arg != "--headless"])


def _settings(options: argparse.Namespace) -> EngineSettings:
    if options.test_network:
        port = 0
        if options.listen:
            port = int(options.listen.rsplit(":", 1)[1])
        return EngineSettings.for_loopback_tests(options.test_network, port)
    if options.listen:
        return dataclasses.replace(EngineSettings(), listen_interfaces=options.listen)
    return EngineSettings()


def _add_sources(
    engine: Engine, sources: list[str], download_dir: Path, options: argparse.Namespace, out: SeedboxOutput
) -> None:
    """Add each source; one that cannot be added is reported on stderr and the seedbox carries on."""
    for source in sources:
        try:
            if source.startswith("magnet:"):
                tid = engine.add_magnet(source, download_dir)
            else:
                tid = engine.add_torrent_file(Path(source), download_dir)
            engine.set_torrent_limits(tid, download=options.download_limit, upload=options.upload_limit)
        except EngineError as exc:
            print(f"cannot add {source}: {exc}", file=sys.stderr, flush=True)
            continue
        out.emit("added", id=tid, name=engine.snapshot(tid).name)


def _report_restored(engine: Engine, stop: threading.Event, out: SeedboxOutput) -> None:
    """Once the restored torrents finished checking their resume data, say what each one kept."""
    deadline = time.monotonic() + 60
    pending = set(engine.torrent_ids())
    while pending and not stop.is_set() and time.monotonic() < deadline:
        for tid in sorted(pending):
            snap = engine.snapshot(tid)
            if snap.state not in (TorrentState.CHECKING, TorrentState.QUEUED):
                out.emit("restored", id=tid, name=snap.name, state=snap.state.value,
                         done=_verified_bytes(engine, tid))
                pending.discard(tid)
        stop.wait(0.05)


def _verified_bytes(engine: Engine, tid: str) -> int:
    """Bytes in verified pieces, asked from libtorrent itself (not from the resume file)."""
    files = engine.files(tid)
    return sum(r.end - r.start for f in files for r in engine.file_ranges(tid, f.index))


def _connect_peers(engine: Engine, peers: list[tuple[str, int]]) -> None:
    for snap in engine.snapshots():
        if snap.num_peers == 0 and not snap.paused:
            for host, port in peers:
                with contextlib.suppress(EngineError):
                    engine.connect_peer(snap.id, host, port)


def _set_password(state_dir: Path, username: str) -> int:
    password = sys.stdin.readline().rstrip("\n")
    try:
        save_credentials(state_dir, username, password)
    except (ValueError, OSError) as exc:
        print(f"The remote password was not set: {exc}", file=sys.stderr, flush=True)
        return 2
    print(f"The remote password for “{username or 'admin'}” is set (only its argon2 hash is kept).", flush=True)
    return 0


def _start_remote(
    where: str, engine: Engine, state_dir: Path, download_dir: Path, out: SeedboxOutput
) -> RemoteServer | None:
    """The remote control on ``[ADDR:]PORT`` (127.0.0.1 unless an address is given); None, said why, if it fails."""
    host, _, port = where.rpartition(":")
    try:
        server = RemoteServer(RemoteApi(engine, load_credentials(state_dir), download_dir), host or "127.0.0.1",
                              int(port))
        server.start()
    except (CredentialsMissingError, RemoteServerError, ValueError) as exc:
        print(f"The remote control is off: {exc}", file=sys.stderr, flush=True)
        return None
    out.emit("remote", url=server.url)
    return server


class SeedboxChores:
    """The watched folder (every 2 s) and RSS (every 15 min) for the seedbox's main loop; results are printed."""

    def __init__(
        self, engine: Engine, download_dir: Path, out: SeedboxOutput, *, watch: Path | None, rss_config: Path | None,
        state_dir: Path,
    ) -> None:
        self._out = out
        self._watched = None
        if watch is not None:
            watch.mkdir(parents=True, exist_ok=True)
            self._watched = WatchedFolder(watch, lambda path: engine.add_torrent_file(path, download_dir))
        self._rss_config = rss_config
        self._rss = RssDownloader(
            state_dir, lambda uri, _category: engine.add_magnet(uri, download_dir),
            lambda data, _category: engine.add_torrent_bytes(data, download_dir),
        ) if rss_config is not None else None
        self._next_watch = self._next_rss = 0.0

    def run(self, now: float) -> None:
        if self._watched is not None and now >= self._next_watch:
            self._next_watch = now + WATCH_SECONDS
            result = self._watched.scan()
            for name, tid in result.added:
                self._out.emit("added", id=tid, name=name)
            for name, sentence in result.refused:
                print(f"cannot add {name} from the watched folder: {sentence}", file=sys.stderr, flush=True)
        if self._rss is not None and self._rss_config is not None and now >= self._next_rss:
            self._next_rss = now + RSS_SECONDS
            checked = self._rss.check(load_rules(self._rss_config))
            for title, tid in checked.added:
                self._out.emit("added", id=tid, name=title)
            for sentence in checked.problems:
                print(f"RSS: {sentence}", file=sys.stderr, flush=True)


def _print_every_threads_stack(signum: int, frame: FrameType | None) -> None:
    """``kill -USR1``: where is each thread now? Runs on the main thread with the GIL (faulthandler's dump of all
    threads reads them without it, and crashed this process while libtorrent's threads ran)."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    for ident, top in sys._current_frames().items():
        print(f"Thread {names.get(ident, ident)} (most recent call last):", file=sys.stderr)
        traceback.print_stack(top, file=sys.stderr)
    sys.stderr.flush()


def run_headless(args: list[str]) -> int:
    """Run the seedbox until SIGINT/SIGTERM; returns the process exit code."""
    options = _parse(args)
    paths = AppPaths.from_environment()
    state_dir = options.state_dir or paths.state  # the desktop app uses the same folder (app/main.py)
    download_dir = (options.download_dir or paths.downloads).resolve()
    download_dir.mkdir(parents=True, exist_ok=True)
    peers = [(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in options.peer]
    out = SeedboxOutput("json" if options.json else options.format)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGUSR1, _print_every_threads_stack)

    if options.set_webui_password:
        return _set_password(state_dir, options.webui_user)
    engine = Engine(_settings(options), state_dir)
    engine.start()
    engine.subscribe(out.on_event)
    remote = _start_remote(options.webui, engine, state_dir, download_dir, out) if options.webui else None
    restored = engine.torrent_ids()
    _add_sources(engine, options.sources, download_dir, options, out)
    out.emit("ready", port=engine.listen_port or 0, torrents=len(engine.torrent_ids()))
    if restored:
        threading.Thread(target=_report_restored, args=(engine, stop, out), daemon=True).start()
    next_status = time.monotonic()
    next_peers = time.monotonic()
    chores = SeedboxChores(engine, download_dir, out, watch=options.watch,
                           rss_config=paths.config if options.rss else None, state_dir=state_dir)
    while not stop.is_set():
        now = time.monotonic()
        chores.run(now)
        if peers and now >= next_peers:
            next_peers = now + PEER_RETRY_SECONDS
            _connect_peers(engine, peers)
        if now >= next_status:
            next_status = now + options.status_interval
            out.status(engine)
        stop.wait(0.2)
    if remote is not None:
        remote.stop()
    engine.shutdown()
    out.emit("saved")
    return 0
