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
# Should the daemon ever go away mid-run, D-Bus starts the Secret Service again on the next call. Debian's service file
# would start it locked (every later keyring call then waits on a password prompt no one can answer, and the rest of
# the suite fails); ours starts it unlocked over the same keyring files, so the run goes on with what it had stored.
services="$BUNDLECAST_TEST_KEYRING_HOME/dbus-services"
mkdir -p "$services"
cat > "$services/start-secrets.sh" <<EOF_SH
#!/bin/sh
printf %s "$BUNDLECAST_TEST_KEYRING_PASSWORD" \\
  | XDG_DATA_HOME="$BUNDLECAST_TEST_KEYRING_HOME" exec gnome-keyring-daemon --foreground --unlock --components=secrets
EOF_SH
chmod +x "$services/start-secrets.sh"
printf '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=%s\n' "$services/start-secrets.sh" \
  > "$services/org.freedesktop.secrets.service"
cat > "$BUNDLECAST_TEST_KEYRING_HOME/session.conf" <<EOF_CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <servicedir>$services</servicedir>
  <include>/usr/share/dbus-1/session.conf</include>
</busconfig>
EOF_CONF
inner='
  set -e
  # gnome-keyring reads the unlock password on stdin; --components=secrets is the Secret Service alone.
  eval "$(printf "%s" "$BUNDLECAST_TEST_KEYRING_PASSWORD" \
    | XDG_DATA_HOME="$BUNDLECAST_TEST_KEYRING_HOME" gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL SSH_AUTH_SOCK 2>/dev/null || true
  exec xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" .venv/bin/python -m pytest "$@"
'
set +e
dbus-run-session --config-file="$BUNDLECAST_TEST_KEYRING_HOME/session.conf" -- bash -c "$inner" bash "$@"
rc=$?
set -e
# pytest exits 5 when it collected nothing: that is a failure here, never a silent pass.
exit $rc
