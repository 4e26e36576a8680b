#!/usr/bin/env bash
# Wraps the PyInstaller folder (dist/bundlecast) into a .deb: /opt/bundlecast, a launcher in /usr/bin, the
# .desktop entry (magnet: and .torrent handler) and the icon. Run from the repository root after PyInstaller.
set -euo pipefail
VERSION="${VERSION:-0.1.0}"
DIST="${DIST:-dist}"  # where PyInstaller put bundlecast/ (its --distpath)
ARCH="$(dpkg --print-architecture)"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
         "$STAGE/usr/share/icons/hicolor/scalable/apps"
cp -a "$DIST/bundlecast" "$STAGE/opt/bundlecast"
ln -s /opt/bundlecast/bundlecast "$STAGE/usr/bin/bundlecast"
install -m 644 resources/linux/bundlecast.desktop "$STAGE/usr/share/applications/bundlecast.desktop"
install -m 644 resources/icons/bundlecast.svg "$STAGE/usr/share/icons/hicolor/scalable/apps/bundlecast.svg"
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" installer/linux/control.in > "$STAGE/DEBIAN/control"
install -m 755 installer/linux/postinst "$STAGE/DEBIAN/postinst"
desktop-file-validate "$STAGE/usr/share/applications/bundlecast.desktop"  # desktop-file-utils
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DIST/bundlecast_${VERSION}_${ARCH}.deb"
