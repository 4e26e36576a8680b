"""The suite's Secret Service outlives its daemon: scripts/run-tests.sh registers a D-Bus service file that starts
gnome-keyring again *unlocked* over the run's keyring files. Debian's own file would start it locked, and every later
keyring call would wait on a password prompt nobody can answer (a from-nothing rehearsal lost its last 15 % that way).
Here the daemon is stopped for real, and the next keyring call must find what was stored before, with no prompt; and a
vault call that was waiting on the daemon when it died is asked again rather than failing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid

from app.store.vault import AccountToken, LicenseVault
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


def test_a_vault_call_waiting_on_a_daemon_that_dies_is_asked_again_and_succeeds() -> None:
    """The daemon is frozen (SIGSTOP) so a vault read is surely waiting on it, then killed: the bus answers the read
    with NoReply, and the vault asks once more — D-Bus starts the daemon again — instead of failing the fan's action."""
    vault = LicenseVault(service=f"bundlecast-test-{uuid.uuid4().hex[:8]}")
    store = "http://127.0.0.1:9"
    vault.save_account(store, AccountToken(token="t0ken", account_id="a1", email="fan@example.com", expires_at=None))
    daemon = _secrets_owner_pid()
    assert daemon is not None, "the Secret Service is not on this run's bus (run through scripts/run-tests.sh)"
    answers: list[object] = []
    os.kill(daemon, signal.SIGSTOP)
    try:
        reader = threading.Thread(target=lambda: answers.append(vault.account(store)), daemon=True)
        reader.start()
        reader.join(1.0)
        assert reader.is_alive(), "the read did not wait on the frozen daemon"
    finally:
        os.kill(daemon, signal.SIGKILL)
    reader.join(30)
    assert not reader.is_alive() and len(answers) == 1, answers
    account = answers[0]
    assert isinstance(account, AccountToken) and account.token == "t0ken"
    assert _secrets_owner_pid() not in (None, daemon)  # a new daemon answered
    vault.forget_store(store)
