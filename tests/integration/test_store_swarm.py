"""Must show: a plain libtorrent session downloads a published bundle from the store's web seed alone, and from a
peer it found through the store's tracker; the locked files on disk decrypt, with the key of a license bought in
the store, to the original bytes; no plaintext of a locked file is in the torrent, the store's content or on disk.

The store is the real one (``python -m storefront serve`` in a child process, published with the CLI). Each
libtorrent peer has its own loopback address, with DHT/LSD/UPnP/NAT-PMP/uTP off (FIELD-NOTES).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import libtorrent as lt
import pytest

from app.bundle import (
    ContentCipher,
    License,
    Manifest,
    SignedManifest,
    load_public_key,
    verify_license,
    verify_manifest,
)
from storefront.config import StoreConfig
from storefront.torrents import rewrite_torrent_urls
from tests.storefront.store_support import GOOD_CARD, REPO, StoreProcess, auth, sign_up_and_in
from tests.support.net import loopback_address
from tests.support.plain_libtorrent import loopback_session_settings
from tests.support.waiting import wait_until

MARKER = b"PLAINTEXT-OF-A-LOCKED-EPISODE-" * 8  # a block a search would find if plaintext leaked
TITLE = "Swarm Test"


@dataclass(frozen=True)
class Published:
    config: StoreConfig
    bundle_id: str
    api: httpx.Client
    torrent: bytes
    manifest: Manifest
    license: License
    plaintext: dict[str, bytes]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    root = tmp_path_factory.mktemp("swarm")
    source = root / "source"
    (source / "episodes").mkdir(parents=True)
    plaintext = {
        "episodes/e01.mp4": MARKER + os.urandom(1_500_000) + MARKER,
        "episodes/e02.mp4": os.urandom(300_000) + MARKER,
        "pilot.mp4": os.urandom(900_000),
        "README.txt": b"Free to share.\n",
    }
    for rel, data in plaintext.items():
        (source / rel).write_bytes(data)
    data_dir = root / "data"
    argv = [
        sys.executable,
        "-m",
        "storefront",
        "publish",
        str(source),
        "--data-dir",
        str(data_dir),
        "--title",
        TITLE,
        "--creator",
        "Tests",
        "--kind",
        "series",
        "--gate",
        "paid",
        "--price",
        "3.00",
        "--lock",
        "episodes/*",
    ]
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    bundle_id = done.stdout.split()[-1]
    server = StoreProcess(data_dir).start()
    try:
        with httpx.Client(base_url=server.api, timeout=30) as api:
            public_key = load_public_key(api.get("/public-key").json()["public_key"])
            detail = api.get(f"/bundles/{bundle_id}").json()
            manifest = verify_manifest(SignedManifest.from_dict(detail["manifest"]), public_key)
            token = sign_up_and_in(api)
            bought = api.post(
                "/purchases", json={"bundle_id": bundle_id, "card": GOOD_CARD}, headers=auth(token, uuid.uuid4().hex)
            )
            assert bought.status_code == 201, bought.text
            lic = verify_license(bought.json()["license"], public_key)
            torrent = api.get(f"/bundles/{bundle_id}/torrent").content
            yield Published(StoreConfig.from_env(data_dir), bundle_id, api, torrent, manifest, lic, plaintext)
    finally:
        server.stop()


def _session(address: str) -> lt.session:
    return lt.session(
        loopback_session_settings(
            address,
            stop_tracker_timeout=1,
            # libtorrent's SSRF guard lets a tracker on localhost be asked /announce only, never /scrape.
            ssrf_mitigation=False,
            alert_mask=lt.alert_category.error | lt.alert_category.status,
        )
    )


def _add(session: lt.session, torrent: bytes, save_path: Path, *, seed: bool = False) -> lt.torrent_handle:
    params = lt.load_torrent_buffer(torrent)
    params.save_path = str(save_path)
    if seed:
        params.flags |= lt.torrent_flags.seed_mode
    params.flags &= ~lt.torrent_flags.paused & ~lt.torrent_flags.auto_managed
    return session.add_torrent(params)


def _wait_finished(handle: lt.torrent_handle, timeout: float = 90.0) -> lt.torrent_status:
    def seeding() -> lt.torrent_status | None:
        status = handle.status()
        if status.errc.value():
            raise AssertionError(f"torrent error: {status.errc.message()}")
        return status if status.is_seeding else None

    return wait_until(seeding, timeout, lambda: f"the download to finish (at {handle.status().progress:.0%})", 0.1)


def _wait_alert(session: lt.session, kind: type, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.wait_for_alert(200)
        for alert in session.pop_alerts():
            if isinstance(alert, kind):
                return alert
            if isinstance(alert, lt.scrape_failed_alert):
                raise AssertionError(f"scrape failed: {alert.message()}")
    raise AssertionError(f"no {kind.__name__} within {timeout} s")


def _wait_swarm(pub: Published, key: str, at_least: int, timeout: float = 30.0) -> None:
    wait_until(lambda: pub.api.get(f"/bundles/{pub.bundle_id}").json()["swarm"][key] >= at_least, timeout,
               f"the store's tracker to count {key} >= {at_least}", 0.2)


def _check_downloaded(pub: Published, save_path: Path) -> None:
    top = save_path / TITLE
    locked = [f for f in pub.manifest.files if f.locked]
    assert {f.path for f in locked} == {"episodes/e01.mp4", "episodes/e02.mp4"}
    for entry in pub.manifest.files:
        on_disk = (top / entry.path).read_bytes()
        original = pub.plaintext[entry.path]
        assert len(on_disk) == len(original) == entry.size
        if entry.locked:
            assert on_disk != original and MARKER not in on_disk
            key = pub.license.file_key(entry.path)
            assert key is not None
            assert ContentCipher(key, entry.nonce_bytes).decrypt_at(0, on_disk) == original
        else:
            assert on_disk == original


def test_torrent_and_store_content_hold_no_plaintext_of_locked_files(published: Published) -> None:
    assert MARKER not in published.torrent
    for path in published.config.content_dir(published.bundle_id).rglob("*"):
        if path.is_file():
            assert MARKER not in path.read_bytes(), path


def test_downloads_from_the_web_seed_alone(published: Published, tmp_path: Path) -> None:
    # The torrent as served, minus its tracker: the web seed in its url-list is the only source there is.
    torrent = rewrite_torrent_urls(
        published.torrent, tracker_url=None, web_seed_url=lt.load_torrent_buffer(published.torrent).url_seeds[0]
    )
    session = _session(loopback_address())
    try:
        _wait_finished(_add(session, torrent, tmp_path))
        _check_downloaded(published, tmp_path)
    finally:
        del session


def test_downloads_from_a_peer_found_through_the_tracker(published: Published, tmp_path: Path) -> None:
    # The torrent as served, minus its web seed: peers come only from the store's tracker.
    tracker = lt.load_torrent_buffer(published.torrent).trackers[0]
    torrent = rewrite_torrent_urls(published.torrent, tracker_url=tracker, web_seed_url=None)
    seeder, leecher = _session(loopback_address()), _session(loopback_address())
    try:
        _add(seeder, torrent, published.config.content_dir(published.bundle_id), seed=True)
        _wait_swarm(published, "seeders", 1)
        handle = _add(leecher, torrent, tmp_path)
        _wait_finished(handle)
        _check_downloaded(published, tmp_path)
        _wait_swarm(published, "completed", 1)
        # libtorrent derives /scrape from /announce (BEP 48) and understands the answer.
        handle.scrape_tracker(0)
        reply = _wait_alert(leecher, lt.scrape_reply_alert)
        assert reply.complete >= 2 and reply.incomplete == 0  # the seeder and the finished leecher
    finally:
        del seeder, leecher
