"""The suite's Secret Service outlives its daemon: scripts/run-tests.sh registers a D-Bus service file that starts
gnome-keyring again *unlocked* over the run's keyring files. Debian's own file would start it locked, and every later
keyring call would wait on a password prompt nobody can answer (a from-nothing rehearsal lost its last 15 % that way).
Here the daemon is stopped for real, and the next keyring call must find what was stored before, with no prompt."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

from tests.support.waiting import wait_until

BUS = ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus"]


def _secrets_owner_pid() -> int | None:
    answer = subprocess.run([*BUS, "org.freedesktop.DBus.GetConnectionUnixProcessID", "string:org.freedesktop.secrets"],
                            capture_output=True, text=True, timeout=10, check=False)  # fmt: skip
    return int(answer.stdout.split()[-1]) if answer.returncode == 0 else None


def _keyring(code: str) -> str:
    """One keyring call in a child process, bounded: a locked keyring would park it on a prompt, not this test."""
    done = subprocess.run([sys.executable, "-c", f"import keyring\n{code}"], capture_output=True, text=True, timeout=30,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_keyring_daemon_that_goes_away_comes_back_unlocked_with_what_it_held() -> None:
    service, secret = f"bundlecast-test-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    _keyring(f"keyring.set_password({service!r}, 'fan', {secret!r})")
    first = _secrets_owner_pid()
    assert first is not None, "the Secret Service is not on this run's bus (run through scripts/run-tests.sh)"
    os.kill(first, signal.SIGTERM)
    wait_until(lambda: _secrets_owner_pid() != first, 10, "the daemon gone from the bus")
    assert _keyring(f"print(keyring.get_password({service!r}, 'fan'))") == secret  # started again, unlocked
    second = _secrets_owner_pid()
    assert second is not None and second != first
    _keyring(f"keyring.delete_password({service!r}, 'fan')")
