"""With no usable keyring: a clear message, free content still works, and no secret lands in any file.

Each case runs the probe (tests/store/no_keyring_probe.py) in a child process against the real storefront, with
HOME and every XDG folder pointing into a temporary tree; afterwards every file in that tree is searched for the
token and password the probe handed over.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.live_store import LiveStore, running_store

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStore]:
    with running_store(tmp_path_factory.mktemp("live-store")) as live:
        yield live


def isolated_env(root: Path, **extra: str) -> dict[str, str]:
    home = root / "home"
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(REPO),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "XDG_RUNTIME_DIR": str(root / "run"),
        "TMPDIR": str(root / "tmp"),
        **extra,
    }
    for name in ("HOME", "XDG_RUNTIME_DIR", "TMPDIR"):
        Path(env[name]).mkdir(parents=True, exist_ok=True, mode=0o700)
    return env


def files_containing(root: Path, secret: str) -> list[Path]:
    """Every file under ``root`` that holds ``secret``. The keyring daemon started for a test outlives the probe and
    removes its runtime folder (``run/keyring``) as it exits, so a folder or file may vanish during the walk (a
    rehearsal failed on it once): what is gone held nothing on disk."""
    needle = secret.encode()
    found = []
    for folder, _dirs, names in os.walk(root):  # a folder that vanishes mid-walk is skipped (os.walk's default)
        for name in names:
            path = Path(folder) / name
            try:
                if path.is_file() and needle in path.read_bytes():
                    found.append(path)
            except FileNotFoundError:
                continue
    return found


def run_probe(live: LiveStore, root: Path, env: dict[str, str], wrapper: list[str] | None = None) -> dict[str, object]:
    sentinel = f"secret-{uuid.uuid4().hex}"
    argv = [sys.executable, "-m", "tests.store.no_keyring_probe", live.url, live.seeded.free, live.seeded.paid]
    work = root / "work"
    work.mkdir()
    done = subprocess.run(
        [*(wrapper or []), *argv, sentinel], check=False, cwd=work, env=env, capture_output=True, text=True, timeout=90
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    assert files_containing(root, sentinel) == [], "a secret was written to a file"
    assert sentinel not in done.stderr  # nor to the log
    return report


def assert_clear_refusal_and_free_content(report: dict[str, object]) -> None:
    assert report["catalog_items"] and isinstance(report["free_torrent_bytes"], int)
    assert report["free_torrent_bytes"] > 0  # free bundles still download
    for step in ("sign_up", "save_account"):
        assert "can't reach your system's keyring" in str(report[step]) and "Free bundles still work" in str(
            report[step]
        ), report
    assert str(report["buy"]).startswith("VaultUnavailable")
    assert report["licenses_at_store"] == 0  # refused before any money moved


def test_without_a_secret_service_on_the_bus(live: LiveStore, tmp_path: Path) -> None:
    env = isolated_env(tmp_path, DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path}/no-bus")
    report = run_probe(live, tmp_path, env)
    assert report["available"] is False and report["backend"] == "keyring.backends.fail.Keyring"
    assert_clear_refusal_and_free_content(report)


@pytest.mark.parametrize("backend", ["keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"])
def test_with_the_fail_or_null_backend_selected(live: LiveStore, tmp_path: Path, backend: str) -> None:
    env = isolated_env(tmp_path, PYTHON_KEYRING_BACKEND=backend)
    report = run_probe(live, tmp_path, env)
    assert report["available"] is False and report["backend"] == backend
    assert_clear_refusal_and_free_content(report)


def test_with_a_keyring_that_cannot_be_unlocked(live: LiveStore, tmp_path: Path) -> None:
    # gnome-keyring runs, but the fan's collection is locked and the unlock prompt cannot be shown (dismissed).
    if not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")):
        pytest.fail("dbus-run-session and gnome-keyring-daemon are needed (scripts/install-system-deps.sh)")
    env = isolated_env(tmp_path)
    env.pop("DISPLAY", None)
    wrapper = [
        "dbus-run-session",
        "--",
        "sh",
        "-c",
        'gnome-keyring-daemon --start --components=secrets >/dev/null && exec "$@"',
        "sh",
    ]
    report = run_probe(live, tmp_path, env, wrapper)
    assert report["backend"] == "keyring.backends.SecretService.Keyring"
    assert_clear_refusal_and_free_content(report)
