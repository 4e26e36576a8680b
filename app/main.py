"""Composition root: reads settings and paths, builds every part, injects them, and orders shutdown.

Until the desktop window exists this starts the headless engine (`--headless` is the seedbox mode).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `bundlecast` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    from app.headless import run_headless

    if args and args[0] == "--headless":
        args = args[1:]
    return run_headless(args)
