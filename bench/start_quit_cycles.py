"""Start/quit cycles of the real app: does quitting ever crash, and is every torrent and license still there after?

Runs ``python -m app`` (as ``app.main`` builds it: the embedded demo store as a child process, the real engine, the
real keyring, VLC) N times on one profile under Xvfb, with faulthandler on. Before the first cycle the script starts
the embedded store once on that profile, signs up, buys the demo album with the demo's test card (its license goes
to the keyring) and downloads its .torrent; the first cycle hands that .torrent to the app, so every cycle after it
starts with a torrent and a license. Each cycle waits until the store is up and the torrent is loaded, stays up a
varying moment (the quit lands in different phases of start-up work), sends SIGTERM (what a desktop session's
logout sends; the tray's Quit takes the same path) and waits for the exit. A cycle counts as a crash when the exit
status is not 0 or the output holds "Fatal Python error"/"Segmentation fault"; its output (faulthandler's stack of
every thread) is kept in the work folder. After each cycle the script reads the profile's resume files and the
keyring itself: every torrent and every license must still be there.

Run it inside the desktop services (private D-Bus, unlocked gnome-keyring, Xvfb) — it re-runs itself inside them
when started without ``--inside``:

    .venv/bin/python bench/start_quit_cycles.py --cycles 50

Prints one line per cycle, a summary table and, last, one JSON object of its figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEYRING_PASSWORD = "bundlecast-bench"
ALBUM = "Harbor Lights"
CRASH_MARKS = ("Fatal Python error", "Segmentation fault", "Aborted", "terminate called")

# The same services scripts/run-tests.sh starts: a private D-Bus session, gnome-keyring unlocked, then Xvfb.
_INSIDE_SERVICES = """
set -e
eval "$(printf "%s" "$BUNDLECAST_BENCH_KEYRING_PASSWORD" \
  | XDG_DATA_HOME="$BUNDLECAST_BENCH_KEYRING_HOME" gnome-keyring-daemon --unlock --components=secrets)"
exec xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" "$@"
"""


@dataclass
class Cycle:
    number: int
    seconds: float
    exit_code: int | None
    crashed: bool
    torrents: int
    licenses: int
    lost: list[str] = field(default_factory=list)
    first_stack_line: str = ""


def rerun_inside_services(argv: list[str]) -> int:
    keyring_home = tempfile.mkdtemp(prefix="bc-cycles-keyring-")
    env = {**os.environ, "BUNDLECAST_BENCH_KEYRING_PASSWORD": KEYRING_PASSWORD,
           "BUNDLECAST_BENCH_KEYRING_HOME": keyring_home}
    try:
        command = ["dbus-run-session", "--", "bash", "-c", _INSIDE_SERVICES, "bash",
                   sys.executable, str(Path(__file__).resolve()), "--inside", *argv]
        return subprocess.call(command, env=env)
    finally:
        shutil.rmtree(keyring_home, ignore_errors=True)


def prepare_profile(home: Path) -> tuple[str, Path]:
    """Buy the demo album on the profile's embedded store; return the store's vault name and the .torrent."""
    from app.paths import AppPaths
    from app.store.account import StoreAccount
    from app.store.client import StoreClient
    from app.store.embedded import EmbeddedStore
    from app.store.models import Card
    from app.store.vault import LicenseVault
    from tests.support.demo import demo_media_cache

    os.environ["BUNDLECAST_HOME"] = str(home)
    paths = AppPaths.from_environment().ensure()
    # The store's media cache is the one the test suite shares (generating the demo media is the slow part).
    (paths.cache / "store").symlink_to(demo_media_cache(), target_is_directory=True)
    with EmbeddedStore(paths.data / "store", paths.cache / "store") as store:
        url = store.start(on_progress=lambda line: print(f"  store: {line}", flush=True))
        account = StoreAccount(StoreClient(url), LicenseVault(), store_ref=store.store_ref)
        account.connect()
        account.sign_up("cycles@example.com", "a long and careful password")
        catalog = account.client.catalog(q=ALBUM, per_page=10)
        album = next(b for b in catalog.items if b.title == ALBUM)
        account.buy(album.id, Card("4242424242424242", 12, 2040, "123"))
        torrent = home / "album.torrent"
        torrent.write_bytes(account.client.download_torrent(album.id))
        return store.store_ref, torrent


def licenses_in_keyring(store_ref: str) -> list[str]:
    """The license ids whose entries are in the keyring (read directly, not through the app)."""
    import keyring

    index = keyring.get_password("Bundlecast", f"{store_ref} licenses")
    ids = json.loads(index)["ids"] if index else []
    return [i for i in ids if keyring.get_password("Bundlecast", f"{store_ref} license {i}")]


def torrents_on_disk(home: Path) -> list[str]:
    return sorted(p.stem for p in (home / "state" / "resume").glob("*.resume"))


def wait_for(condition: object, timeout: float, what: str, app: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if app.poll() is not None:
            raise RuntimeError(f"the app exited ({app.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.1)


def run_cycle(number: int, home: Path, sources: list[str], rng: random.Random, logs: Path,
              up_seconds: float) -> tuple[int | None, str]:
    """One start, a moment up, SIGTERM, exit. Returns the exit status and the app's output."""
    from tests.support.net import loopback_address

    env = {**os.environ, "BUNDLECAST_HOME": str(home), "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"}
    log_path = logs / f"cycle-{number:03d}.log"
    with log_path.open("wb") as log:
        app = subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "app", "--loopback-test",
                                loopback_address(), *sources], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
        try:
            ready = home / "data" / "store" / "storefront.ready.json"
            wait_for(ready.exists, 300, "the embedded store", app)
            wait_for(lambda: torrents_on_disk(home), 60, "the torrent's resume file", app)
            time.sleep(rng.uniform(0.0, up_seconds))  # quit in a different phase each time
            app.send_signal(signal.SIGTERM)
            code: int | None = app.wait(90)
        except (TimeoutError, RuntimeError, subprocess.TimeoutExpired) as exc:
            log.write(f"\n[cycles] {exc}\n".encode())
            code = app.poll()
        finally:
            if app.poll() is None:
                app.kill()
                app.wait(10)
                code = None
    return code, log_path.read_text(errors="replace")


def inside(options: argparse.Namespace) -> int:
    rng = random.Random(options.seed)
    work = Path(tempfile.mkdtemp(prefix="bc-cycles-"))
    home, logs = work / "home", work / "logs"
    logs.mkdir(parents=True)
    print(f"profile and logs in {work}", flush=True)
    store_ref, torrent = prepare_profile(home)
    licenses_before = licenses_in_keyring(store_ref)
    cycles: list[Cycle] = []
    torrents_before: list[str] = []
    for number in range(1, options.cycles + 1):
        started = time.monotonic()
        code, output = run_cycle(number, home, [str(torrent)] if number == 1 else [], rng, logs, options.up)
        crashed = code != 0 or any(mark in output for mark in CRASH_MARKS)
        torrents, licenses = torrents_on_disk(home), licenses_in_keyring(store_ref)
        if number == 1:
            torrents_before = torrents
        lost = [f"torrent {t}" for t in torrents_before if t not in torrents]
        lost += [f"license {i}" for i in licenses_before if i not in licenses]
        stack = next((line.strip() for line in output.splitlines() if line.startswith("Fatal Python error")), "")
        cycle = Cycle(number, time.monotonic() - started, code, crashed, len(torrents), len(licenses), lost, stack)
        cycles.append(cycle)
        print(f"cycle {number:3d}: exit {code}, {cycle.seconds:5.1f} s, {cycle.torrents} torrent(s), "
              f"{cycle.licenses} license(s){'  CRASH ' + stack if crashed else ''}"
              f"{'  LOST ' + ', '.join(lost) if lost else ''}", flush=True)
        if not crashed and not options.keep_logs:
            (logs / f"cycle-{number:03d}.log").unlink()
    crashes = [c for c in cycles if c.crashed]
    losses = [c for c in cycles if c.lost]
    print()
    print(f"{'cycles':>8} {'crashes':>8} {'cycles with a loss':>19} {'torrents':>9} {'licenses':>9} {'s/cycle':>8}")
    print(f"{len(cycles):>8} {len(crashes):>8} {len(losses):>19} {len(torrents_before):>9} "
          f"{len(licenses_before):>9} {sum(c.seconds for c in cycles) / max(1, len(cycles)):>8.1f}")
    if crashes:
        print(f"crash logs kept in {logs}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({
        "cycles": len(cycles), "crashes": len(crashes), "cycles_with_loss": len(losses),
        "torrents": len(torrents_before), "licenses": len(licenses_before),
        "seconds_per_cycle": round(sum(c.seconds for c in cycles) / max(1, len(cycles)), 2),
        "crash_first_lines": sorted({c.first_stack_line for c in crashes}),
    }))
    return 1 if crashes or losses else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--up", type=float, default=6.0, help="each cycle stays up 0..UP s once the store is up")
    parser.add_argument("--keep-logs", action="store_true", help="keep every cycle's output, not only crashes'")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if not options.inside:
        return rerun_inside_services(sys.argv[1:])
    return inside(options)


if __name__ == "__main__":
    sys.exit(main())
