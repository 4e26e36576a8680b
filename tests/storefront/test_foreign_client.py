"""A foreign BitTorrent client — Debian's qBittorrent (qbittorrent-nox 4.5, libtorrent 2) — downloads a free
bundle's hybrid v1+v2 torrent (pad files, BEP 47) from the store on loopback: the .torrent the bundle's web page
offers, the store's tracker and its web seed; no DHT, LSD or PeX. The files it writes are byte-identical to what
the bundle was published from. (aria2 1.36 and Transmission 3.00, the other Debian clients, cannot use these
torrents — the bundle's page says so.)"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.storefront.store_support import SeededStore, StoreProcess

pytestmark = pytest.mark.timeout(120)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def qbittorrent(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    profile, save = tmp_path / "qbt-profile", tmp_path / "qbt-downloads"
    config = profile / "qBittorrent" / "config"
    config.mkdir(parents=True)
    save.mkdir()
    webui = _free_port()
    (config / "qBittorrent.conf").write_text(
        "[LegalNotice]\nAccepted=true\n\n"
        "[BitTorrent]\n"
        "Session\\DHTEnabled=false\nSession\\LSDEnabled=false\nSession\\PeXEnabled=false\n"
        f"Session\\DefaultSavePath={save}\nSession\\Port={_free_port()}\nSession\\InterfaceAddress=127.0.0.1\n\n"
        "[Preferences]\n"
        f"WebUI\\Address=127.0.0.1\nWebUI\\Port={webui}\nWebUI\\LocalHostAuth=false\nConnection\\UPnP=false\n"
    )
    log = (tmp_path / "qbt.log").open("wb")
    proc = subprocess.Popen(["qbittorrent-nox", f"--profile={profile}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{webui}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/v2/app/version", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("qbittorrent-nox did not start: " + (tmp_path / "qbt.log").read_text()[-2000:])
            time.sleep(0.2)
        yield url, save
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


@pytest.fixture(scope="module")
def store(seeded: SeededStore) -> Iterator[StoreProcess]:
    server = StoreProcess(seeded.data_dir, env={**os.environ, "BUNDLECAST_CAMPAIGN_POLL_S": "3600"}).start()
    yield server
    server.stop()


def test_qbittorrent_downloads_a_free_bundle_from_the_store(
    qbittorrent: tuple[str, Path], store: StoreProcess, seeded: SeededStore
) -> None:
    webui, save = qbittorrent
    page = httpx.get(f"{store.url}/bundles/{seeded.free}", timeout=30)
    assert "qBittorrent 4.4+ (libtorrent 2): works" in page.text
    torrent = httpx.get(f"{store.api}/bundles/{seeded.free}/torrent", timeout=30)
    assert torrent.status_code == 200
    added = httpx.post(
        f"{webui}/api/v2/torrents/add",
        files={"torrents": ("free.torrent", torrent.content, "application/x-bittorrent")},
        data={"savepath": str(save)},
        timeout=30,
    )
    assert added.status_code == 200 and added.text == "Ok.", added.text
    deadline = time.monotonic() + 60
    state: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        state = httpx.get(f"{webui}/api/v2/torrents/info", timeout=10).json()
        if state and state[0]["progress"] == 1:
            break
        time.sleep(0.3)
    assert state and state[0]["progress"] == 1, state
    source = seeded.sources / "free"
    for rel in ("readme.txt", "media/part1.bin", "media/part2.bin"):
        assert (save / "Free Bundle" / rel).read_bytes() == (source / rel).read_bytes(), rel
