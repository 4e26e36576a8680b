"""Flow 1 through the real parts: the app's Engine adds the demo series as the store serves it, wants only the
free pilot, and gets it from the store's web seed alone (no peer is online) while the locked episodes stay
undownloaded; it streams the pilot's first bytes before the download is done and the file ends byte-identical to
the store's copy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import libtorrent as lt
import pytest

from app.engine import Engine, EngineSettings
from storefront.demo import recipe
from tests.storefront.store_support import StoreProcess
from tests.support.demo import build_demo_store
from tests.support.net import loopback_address
from tests.support.waiting import wait_until

# The first session on a machine generates the demo's media (~50 CPU-seconds; minutes on a loaded machine),
# which the module fixture's first test pays for; later sessions reuse the cache.
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def demo_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, httpx.Client]]:
    config, _ = build_demo_store(tmp_path_factory.mktemp("demo-engine") / "data")
    server = StoreProcess(config.data_dir, demo=True).start()
    try:
        with httpx.Client(base_url=server.api, timeout=30) as api:
            yield config.data_dir, api
    finally:
        server.stop()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    running = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "state")
    running.start()
    yield running
    running.shutdown(timeout=5)


def test_the_engine_gets_the_free_pilot_from_the_web_seed_and_nothing_locked(
    demo_api: tuple[Path, httpx.Client], engine: Engine, tmp_path: Path
) -> None:
    data_dir, api = demo_api
    detail = api.get(f"/bundles/{recipe.SERIES_ID}").json()
    torrent = api.get(f"/bundles/{recipe.SERIES_ID}/torrent").content
    assert detail["swarm"]["seeders"] == 0  # nobody seeds: the web seed alone must do
    files = {f["path"]: f for f in detail["files"]}
    pilot = files["pilot.mp4"]
    priorities = [0] * lt.load_torrent_buffer(torrent).ti.num_files()
    priorities[pilot["index"]] = 4
    tid = engine.add_torrent_bytes(torrent, tmp_path / "downloads", file_priorities=priorities)

    with engine.open_stream(tid, pilot["index"], timeout=60) as stream:
        head = stream.read(64 * 1024)
    assert head[4:8] == b"ftyp" and b"moov" in head  # faststart: the index arrives with the first bytes

    def pilot_downloaded() -> bool:
        snap = engine.snapshot(tid)
        assert snap.error is None, snap.error
        return snap.wanted_done >= pilot["size"] and snap.wanted_size == pilot["size"]

    wait_until(pilot_downloaded, 120, lambda: f"the pilot alone, downloaded ({engine.snapshot(tid).wanted_done} of "
               f"{engine.snapshot(tid).wanted_size} wanted bytes)", 0.2)
    stored = next((data_dir / "content" / recipe.SERIES_ID).glob("*/pilot.mp4")).read_bytes()
    assert engine.file_path(tid, pilot["index"]).read_bytes() == stored
    by_index = {entry.index: entry for entry in engine.files(tid)}
    for path, entry in files.items():
        if entry["locked"]:
            assert by_index[entry["index"]].downloaded == 0, path  # hybrid torrents align files to pieces
    # The engine announced itself to the store's tracker: the bundle page now counts it (still missing the
    # episodes it does not want, so as a leecher).
    wait_until(lambda: api.get(f"/bundles/{recipe.SERIES_ID}").json()["swarm"]["leechers"] >= 1, 30,
               "the engine to show up in the store's swarm figures", 0.2)
