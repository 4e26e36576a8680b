"""Benchmark: the license vault over a real Secret Service (gnome-keyring) — what restoring purchases costs.

Measures, side by side in one run: saving one license at a time, restoring 100 at once (one index update),
listing them at the next start (every entry read and verified), the signature checks alone — to show where the
time goes (D-Bus round trips, not cryptography) — and listing again in the same process (from memory).
Prints a table; the LAST line is one JSON object.

When the D-Bus session has no usable Secret Service (scripts/run-benchmarks.sh starts a bare session), a private
gnome-keyring is started with a temporary HOME and a throw-away password, and stopped at the end.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.bundle import Grant, StoreKey, issue_license, verify_license
from app.store.errors import VaultUnavailable
from app.store.vault import LicenseVault

STORE = "bench-store"
RESTORE_N = 100
SINGLE_N = 20


def private_keyring() -> subprocess.Popen[bytes] | None:
    """Start gnome-keyring on this D-Bus session with a temporary HOME, unless the session already runs one.

    Probing first is not an option: D-Bus would activate gnome-keyring on the user's real, locked keyring, whose
    unlock prompt then waits for a click that never comes.
    """
    if os.environ.get("GNOME_KEYRING_CONTROL"):  # scripts/run-tests.sh and desktop sessions export it
        return None
    home = tempfile.mkdtemp(prefix="bench-keyring-")
    env = {**os.environ, "HOME": home, "XDG_DATA_HOME": f"{home}/.local/share"}
    env.pop("DISPLAY", None)  # no prompts: a fresh keyring unlocked by the password below needs none
    daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--replace", "--foreground", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert daemon.stdin is not None
    daemon.stdin.write(b"bench-password")
    daemon.stdin.close()
    deadline = time.monotonic() + 10
    while True:
        try:
            LicenseVault(service="bench-probe").check()
            return daemon
        except VaultUnavailable:
            if time.monotonic() > deadline:
                daemon.terminate()
                raise
            time.sleep(0.1)


def main() -> None:
    daemon = private_keyring()
    key = StoreKey.generate()
    tokens = [
        issue_license(
            key, store_id="bench", account_id="acc", bundle_id=f"b{i}", grant=Grant.whole_bundle(os.urandom(32))
        )[1]
        for i in range(RESTORE_N + SINGLE_N)
    ]
    vault = LicenseVault(service=f"Bundlecast-bench-{uuid.uuid4().hex[:8]}")
    try:
        vault.pin_store_key(STORE, "bench", key.public_key_b64)
        singles = []
        for token in tokens[:SINGLE_N]:
            started = time.perf_counter()
            vault.save_license(STORE, token)
            singles.append(time.perf_counter() - started)

        started = time.perf_counter()
        saved, rejected = vault.save_licenses(STORE, tokens[SINGLE_N:])
        restore_s = time.perf_counter() - started
        assert len(saved) == RESTORE_N and rejected == 0

        started = time.perf_counter()
        listed = LicenseVault(service=vault.service).licenses(STORE)  # the next start: every entry read
        list_s = time.perf_counter() - started
        assert len(listed) == RESTORE_N + SINGLE_N
        started = time.perf_counter()
        vault.licenses(STORE)  # the same process again: from memory
        warm_ms = (time.perf_counter() - started) * 1000

        started = time.perf_counter()
        for token in tokens:
            verify_license(token, key.public_key)
        verify_ms = (time.perf_counter() - started) * 1000 / len(tokens)
    finally:
        vault.forget_store(STORE)
        if daemon is not None:
            daemon.terminate()
            daemon.wait(10)

    p50 = statistics.median(singles) * 1000
    p95 = sorted(singles)[int(0.95 * (len(singles) - 1))] * 1000
    per_listed_ms = list_s * 1000 / len(listed)
    print(f"license vault on {vault.backend_name}")
    print(f"{'operation':44} {'result':>12}")
    print(f"{'save one license, p50':44} {p50:>9.1f} ms")
    print(f"{'save one license, p95':44} {p95:>9.1f} ms")
    print(f"{f'restore {RESTORE_N} licenses at once':44} {restore_s:>10.2f} s")
    print(f"{f'list {len(listed)} licenses at start (read + verify)':44} {list_s:>10.2f} s")
    print(f"{'  … per license':44} {per_listed_ms:>9.1f} ms")
    print(f"{'  … of which the signature check':44} {verify_ms:>9.2f} ms")
    print(f"{f'list {len(listed)} licenses again (memory)':44} {warm_ms:>9.2f} ms")
    print(
        json.dumps(
            {
                "save_one_ms_p50": round(p50, 1),
                "save_one_ms_p95": round(p95, 1),
                "restore_100_s": round(restore_s, 3),
                "list_ms_per_license": round(per_listed_ms, 2),
                "verify_ms_per_license": round(verify_ms, 3),
                "list_again_ms": round(warm_ms, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
