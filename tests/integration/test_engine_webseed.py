"""A torrent downloads from an HTTP web seed alone (BEP 19) — how the store's files stay available.

The web seed is Starlette's StaticFiles (Range support) under a real uvicorn on a loopback address."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from app.engine import Engine, EngineSettings, TorrentState
from tests.engine.helpers import make_torrent, tree_bytes, wait_snapshot, write_payload
from tests.support.net import free_port, loopback_address
from tests.support.waiting import wait_until


@pytest.fixture
def web_seed(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "seed"
    address = loopback_address()
    port = free_port(address)
    app = Starlette(routes=[Mount("/seed", app=StaticFiles(directory=root, check_dir=False))])
    server = uvicorn.Server(uvicorn.Config(app, host=address, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    root.mkdir()
    thread.start()
    wait_until(lambda: server.started, 30, "the web seed's server to start")
    yield f"http://{address}:{port}/seed/", root
    server.should_exit = True
    thread.join(10)


def test_multi_file_torrent_downloads_from_a_web_seed_alone(tmp_path: Path, web_seed: tuple[str, Path]) -> None:
    url, root = web_seed
    write_payload(root / "bundle", {"pilot.mp4": 900_000, "extras/booklet.pdf": 120_000})
    torrent = make_torrent(root / "bundle", 16384, "hybrid")
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "state")
    engine.start()
    try:
        tid = engine.add_torrent_bytes(torrent, tmp_path / "dl")
        engine.add_web_seed(tid, url)
        wait_snapshot(engine, tid, lambda s: s.state is TorrentState.SEEDING, 90, "downloaded from the web seed")
    finally:
        engine.shutdown()
    assert tree_bytes(tmp_path / "dl" / "bundle") == tree_bytes(root / "bundle")
