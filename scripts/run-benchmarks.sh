#!/usr/bin/env bash
# Runs every benchmark under bench/, one after the other; each prints a table and a JSON last line.
set -euo pipefail
cd "$(dirname "$0")/.."
for b in bench/*.py; do
  echo "=== $b"
  dbus-run-session -- xvfb-run --auto-servernum .venv/bin/python "$b"
done
