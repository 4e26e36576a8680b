#!/usr/bin/env bash
# Runs the test suite inside the real desktop services the app meets on a user's machine:
# a private D-Bus session with an unlocked gnome-keyring (the Secret Service) and an X server (Xvfb).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export BUNDLECAST_TEST_KEYRING_PASSWORD="bundlecast-test"
# The daemon keeps its keyring files in a folder of this run's own: never the developer's real login keyring
# (which this password would not unlock), and never a file that concurrent runs rewrite under each other.
BUNDLECAST_TEST_KEYRING_HOME="$(mktemp -d -t bundlecast-keyring.XXXXXX)"
export BUNDLECAST_TEST_KEYRING_HOME
trap 'rm -rf "$BUNDLECAST_TEST_KEYRING_HOME"' EXIT
inner='
  set -e
  # gnome-keyring reads the unlock password on stdin; --components=secrets is the Secret Service alone.
  eval "$(printf "%s" "$BUNDLECAST_TEST_KEYRING_PASSWORD" \
    | XDG_DATA_HOME="$BUNDLECAST_TEST_KEYRING_HOME" gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL SSH_AUTH_SOCK 2>/dev/null || true
  exec xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" .venv/bin/python -m pytest "$@"
'
set +e
dbus-run-session -- bash -c "$inner" bash "$@"
rc=$?
set -e
# pytest exits 5 when it collected nothing: that is a failure here, never a silent pass.
exit $rc
