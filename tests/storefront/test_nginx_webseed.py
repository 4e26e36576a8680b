"""The web seed behind nginx, as docs/OPERATIONS.md documents it: the test reads the doc's nginx example, swaps
only what a test machine needs (a plain-HTTP loopback port for ``listen 443 ssl``/certificates, the test's own
content folder and store address, no port-80 redirect), starts Debian's nginx itself (own prefix, pid, logs and
temp folders, ``daemon off``, killed at the end), and points the store's public URL — hence every torrent's
web-seed URL — at it. A plain libtorrent client then downloads a free bundle from nginx's ``/seed/`` alone, with
the store stopped and no tracker, byte-identical to what was published; nginx's log shows the Range requests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import libtorrent as lt
import pytest

from storefront.torrents import rewrite_torrent_urls
from tests.storefront.store_support import SeededStore, StoreProcess, seed_store
from tests.support.net import free_port, loopback_address
from tests.support.nginx import Nginx, documented_example, start_nginx, swap
from tests.support.plain_libtorrent import loopback_session_settings

pytestmark = pytest.mark.timeout(120)


def documented_server_block(*, port: int, content: Path, store_url: str) -> str:
    """The doc's ``server { … }`` for the store, made runnable on loopback without root or certificates."""
    text = documented_example()
    text = swap(text, r"listen 443 ssl http2;", f"listen 127.0.0.1:{port};")
    text = swap(text, r"\n\s*ssl_certificate(_key)? [^\n]*;", "")
    text = swap(text, r"alias /var/lib/bundlecast/content/;", f'alias "{content}/";')
    text = swap(text, r"proxy_pass http://127\.0\.0\.1:8750;", f"proxy_pass {store_url};")
    return swap(text, r"\nserver \{ listen 80;[^\n]*\}\n", "\n")  # the redirect from port 80 needs root


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> SeededStore:
    return seed_store(tmp_path_factory.mktemp("nginx-store") / "data", paid_and_free_only=True)  # the free one is used


@dataclass
class Fronted:
    nginx: Nginx
    url: str
    store: StoreProcess
    torrent: bytes


@pytest.fixture(scope="module")
def fronted(seeded: SeededStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fronted]:
    """nginx in front of a store whose public URL is nginx's: the torrent is fetched through nginx's proxy."""
    port = free_port()
    store = StoreProcess(seeded.data_dir, env={"BUNDLECAST_STORE_PUBLIC_URL": f"http://127.0.0.1:{port}"}).start()
    nginx: Nginx | None = None
    try:
        block = documented_server_block(port=port, content=seeded.data_dir / "content", store_url=store.url)
        nginx = start_nginx(tmp_path_factory.mktemp("nginx"), block, [port])
        url = f"http://127.0.0.1:{port}"
        torrent = httpx.get(f"{url}/api/v1/bundles/{seeded.free}/torrent", timeout=30)
        assert torrent.status_code == 200, torrent.text
        yield Fronted(nginx, url, store, torrent.content)
    finally:
        store.stop()
        if nginx is not None:
            nginx.stop()


def _wait_finished(handle: lt.torrent_handle, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not handle.status().is_seeding:
        status = handle.status()
        assert not status.errc.value(), f"torrent error: {status.errc.message()}"
        assert time.monotonic() < deadline, f"download did not finish: {status.progress:.0%}"
        time.sleep(0.1)


def test_the_torrent_web_seeds_from_nginx(fronted: Fronted, seeded: SeededStore) -> None:
    params = lt.load_torrent_buffer(fronted.torrent)
    assert params.url_seeds == [f"{fronted.url}/seed/{seeded.free}/"]


def test_nginx_answers_ranges_and_serves_nothing_else(fronted: Fronted, seeded: SeededStore) -> None:
    top = next((seeded.data_dir / "content" / seeded.free).iterdir())
    data = (top / "media" / "part1.bin").read_bytes()
    url = f"{fronted.url}/seed/{seeded.free}/{top.name}/media/part1.bin".replace(" ", "%20")
    part = httpx.get(url, headers={"Range": "bytes=1000-1999"}, timeout=10)
    assert part.status_code == 206 and part.content == data[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
    tail = httpx.get(url, headers={"Range": "bytes=-10"}, timeout=10)
    assert tail.status_code == 206 and tail.content == data[-10:]
    past = httpx.get(url, headers={"Range": f"bytes={len(data)}-{len(data) + 9}"}, timeout=10)
    assert past.status_code == 416
    listing = httpx.get(f"{fronted.url}/seed/{seeded.free}/", timeout=10)
    assert listing.status_code in (403, 404)  # autoindex off: no listing
    key = (seeded.data_dir / "keys" / "store_signing_key.pem").read_bytes()
    escapes = ("/seed/%2e%2e/keys/store_signing_key.pem", f"/seed/{seeded.free}/..%2f..%2fkeys/store_signing_key.pem")
    for escape in escapes:
        leaked = httpx.get(fronted.url + escape, timeout=10)
        assert key not in leaked.content, escape


def test_libtorrent_downloads_from_nginx_alone(fronted: Fronted, seeded: SeededStore, tmp_path: Path) -> None:
    fronted.store.stop()  # the store is down: the bytes can only come from nginx's static files
    torrent = rewrite_torrent_urls(
        fronted.torrent, tracker_url=None, web_seed_url=lt.load_torrent_buffer(fronted.torrent).url_seeds[0]
    )
    session = lt.session(loopback_session_settings(loopback_address(), ssrf_mitigation=False))
    try:
        params = lt.load_torrent_buffer(torrent)
        params.save_path = str(tmp_path)
        params.flags &= ~lt.torrent_flags.paused & ~lt.torrent_flags.auto_managed
        _wait_finished(session.add_torrent(params))
    finally:
        del session
    source = seeded.sources / "free"
    published = {p.relative_to(source): p.read_bytes() for p in source.rglob("*") if p.is_file()}
    (top,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    downloaded = {p.relative_to(top): p.read_bytes() for p in top.rglob("*") if p.is_file() and ".pad" not in p.parts}
    assert downloaded == published  # byte-identical
    seed_lines = [line for line in fronted.nginx.access_log.read_text().splitlines() if f"/seed/{seeded.free}/" in line]
    ranged = [line for line in seed_lines if line.startswith("206 GET") and '"bytes=' in line]
    assert ranged, seed_lines[-20:]  # libtorrent asked nginx for byte ranges, and got them
