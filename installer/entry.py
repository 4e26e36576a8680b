"""The packaged app's one executable (PyInstaller's entry script): Bundlecast itself, or the demo store it starts.

A frozen bundle has no ``python -m storefront``: ``sys.executable`` is this program. So ``EmbeddedStore`` runs
``bundlecast --embedded-store PARENT_PID serve …`` instead, and this script becomes the store — after asking the
kernel to end it when the app dies (PR_SET_PDEATHSIG, as the source checkout's guard does) and checking the app
did not die first. ``freeze_support`` lets the demo builder's worker processes (multiprocessing, spawn) start
from the same executable.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys

EMBEDDED_STORE_FLAG = "--embedded-store"


def _run_embedded_store(parent_pid: int, store_args: list[str]) -> int:
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        if os.getppid() != parent_pid:
            return 0  # the app died before the request took effect
    from storefront.__main__ import main as store_main

    return store_main(store_args)


def main() -> int:
    multiprocessing.freeze_support()
    if len(sys.argv) > 2 and sys.argv[1] == EMBEDDED_STORE_FLAG:
        return _run_embedded_store(int(sys.argv[2]), sys.argv[3:])
    from app.main import main as app_main

    return app_main()


if __name__ == "__main__":
    raise SystemExit(main())
