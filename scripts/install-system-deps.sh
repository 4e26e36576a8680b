#!/usr/bin/env bash
# Installs the system packages Bundlecast needs (libvlc and plugins, Xvfb, gnome-keyring, dbus, Qt's xcb
# libraries, trayer for tray tests, desktop-file-utils to check the .desktop entry). Uses apt-get where it can, skips what is present, and says clearly
# what to install by hand where it cannot. Safe to run again.
set -euo pipefail

PACKAGES=(
  libvlc5 libvlccore9 vlc-plugin-base vlc-plugin-video-output
  xvfb xauth trayer desktop-file-utils
  gnome-keyring dbus dbus-x11 libsecret-1-0
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-xinerama0 libxcb-xkb1
  libxcb-randr0 libxcb-shape0 libxcb-cursor0 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3
  chromium chromium-driver  # issue 13: the store's web pages tested in a real browser (Selenium)
  aria2  # issue 13: a foreign BitTorrent client (1.36: cannot use the store's hybrid torrents; checked by hand)
  opentracker  # issue 13: the external tracker several store workers share (started by tests on loopback)
  qbittorrent-nox  # issue 13: a foreign client (libtorrent 2) downloading a free bundle from the store, in a test
  xdg-utils file  # issue 11: a book opens in the system's reader through xdg-open (a test registers a recording reader)
  nginx  # issue 13: the documented web-seed example served by nginx (started by a test on loopback, as a user process)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system packages missing and apt-get is not available. Install these by hand:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "need root to install: ${missing[*]} — run: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "system packages: installed"
