"""The store's tracker, alone, for bench/live.py: its own process, serving ``storefront.tracker``'s announce on
127.0.0.1 with one live swarm registered (the stream's ``swarm_info_hash``), as the store does for a live event.

The app's viewers announce every few seconds and dial the peers the tracker names, so a viewer whose neighbours
leave meets new ones; without a tracker a bench audience given a fixed peer list loses neighbours minute by minute
(a 10-minute run ends with viewers that have one or two). The store's accounts, database and catalogue have nothing
to do with the overlay, so only the tracker runs here: ``python bench/live_tracker.py --stream-id HEX --port N``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


class TrackerProcess:
    """The tracker in a child process; ``url`` is its announce URL."""

    def __init__(self, stream_id: str, host: str, port: int, log: Path) -> None:
        self.url = f"http://{host}:{port}/announce"
        self._log = log
        argv = [sys.executable, str(Path(__file__)), "--stream-id", stream_id, "--host", host, "--port", str(port)]
        with log.open("ab") as out:  # the child keeps its own handle
            self._proc = subprocess.Popen(argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the tracker exited with {self._proc.returncode}: see {self._log}")
            try:
                httpx.get(self.url, timeout=1.0)  # any answer (a bencoded refusal) means it serves
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise TimeoutError("the tracker did not start")

    def stop(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stream-id", required=True, help="the live stream's id (hex)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    import uvicorn
    from fastapi import FastAPI

    from app.live.blocks import swarm_info_hash
    from storefront.tracker import SwarmRegistry, router

    app = FastAPI()
    app.include_router(router)
    registry = SwarmRegistry()
    registry.register(swarm_info_hash(bytes.fromhex(args.stream_id)).hex())
    app.state.swarm = registry
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
