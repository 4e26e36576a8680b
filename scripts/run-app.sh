#!/usr/bin/env bash
# Starts Bundlecast. On a machine with no display it falls back to the headless seeding mode.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ "$(uname)" = "Linux" ]; then
  echo "No display found: starting the headless engine instead (Ctrl-C saves and exits)." >&2
  case " $* " in
    *" --headless "*) exec .venv/bin/python -m app "$@" ;;  # already asked for (make run ARGS="--headless")
  esac
  exec .venv/bin/python -m app --headless "$@"
fi
exec .venv/bin/python -m app "$@"
