"""The leecher of test_engine_disk_full.py, run as a script inside its own mount namespace, where its download
folder is a small tmpfs (``unshare -rm``: no root needed) that a filler file has nearly filled.

Usage: disk_full_leecher.py TORRENT FOLDER SEEDER_HOST SEEDER_PORT STATE_DIR
Prints two JSON lines: the torrent once the disk is full, and after the fan frees the space and presses Resume
(with the downloaded file's SHA-256).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from app.engine import Engine, EngineSettings, TorrentErrored, TorrentSnapshot, TorrentState
from tests.support.net import loopback_address

FILLER_BYTES = 2_500_000


def main() -> int:
    torrent, folder, host, port, state = sys.argv[1:6]
    filler = Path(folder) / "filler.bin"
    filler.write_bytes(bytes(FILLER_BYTES))
    errors: list[str] = []
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), Path(state))
    engine.subscribe(lambda event: errors.append(event.message) if isinstance(event, TorrentErrored) else None)
    engine.start()
    try:
        tid = engine.add_torrent_bytes(Path(torrent).read_bytes(), Path(folder))
        engine.connect_peer(tid, host, int(port))

        def wait(done: Callable[[TorrentSnapshot], bool]) -> TorrentSnapshot:
            deadline = time.monotonic() + 60
            while not done(engine.snapshot(tid)) and time.monotonic() < deadline:
                time.sleep(0.1)
            return engine.snapshot(tid)

        full = wait(lambda s: s.state is TorrentState.ERROR)
        time.sleep(1.0)  # the writes queued before the disk filled fail too: they must not add sentences
        print(json.dumps({"state": full.state.name, "error": full.error,
                          "errors": errors}), flush=True)
        filler.unlink()  # the fan frees some space …
        engine.resume(tid)  # … and resumes, as the sentence says
        after = wait(lambda s: s.state is TorrentState.SEEDING)
        files = [f for f in engine.files(tid) if f.size > 0]
        digest = hashlib.sha256(engine.file_path(tid, files[0].index).read_bytes()).hexdigest()
        print(json.dumps({"state": after.state.name, "error": after.error, "sha256": digest}), flush=True)
    finally:
        engine.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
