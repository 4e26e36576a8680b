"""Must show: a plain libtorrent session downloads a published bundle from the store's web seed alone, and from a
peer it found through the store's tracker; the locked files on disk decrypt with a license's key to the original
bytes, and no plaintext of a locked file is in the torrent or on the leecher's disk.

Each libtorrent peer has its own loopback address, DHT/LSD/UPnP/NAT-PMP/uTP off (FIELD-NOTES). The store side is
the real tracker router and web seed mount under uvicorn on its own loopback address.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import libtorrent as lt
import pytest
from fastapi import FastAPI

from app.bundle import (
    BundleKind,
    ContentCipher,
    Grant,
    Manifest,
    SignedManifest,
    issue_license,
    verify_license,
    verify_manifest,
)
from storefront.config import StoreConfig
from storefront.db import Database
from storefront.keys import load_store_keys
from storefront.models import Bundle, BundleKey
from storefront.publish import gate_from_args, publish_bundle
from storefront.torrents import rewrite_torrent_urls
from storefront.tracker import SwarmRegistry, resolver_from_db, router
from storefront.webseed import mount_web_seed
from tests.support.live_server import serve_in_thread
from tests.support.net import loopback_address

MARKER = b"PLAINTEXT-OF-A-LOCKED-EPISODE-" * 8  # a block a search would find if plaintext leaked


@dataclass(frozen=True)
class Published:
    config: StoreConfig
    bundle_id: str
    base_url: str
    registry: SwarmRegistry
    torrent: bytes
    manifest: Manifest
    plaintext: dict[str, bytes]
    license_token: str


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    root = tmp_path_factory.mktemp("store")
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
    config = StoreConfig(data_dir=root / "data", public_base_url="http://127.0.0.1:9")
    bundle_id = publish_bundle(
        config,
        source,
        title="Swarm Test",
        creator="Tests",
        kind=BundleKind.SERIES,
        gate=gate_from_args("paid", "3.00"),
        lock_globs=["episodes/*"],
    )
    database = Database(config.effective_database_url)
    keys = load_store_keys(config)
    with database.session() as session:
        bundle = session.get(Bundle, bundle_id)
        assert bundle is not None and bundle.torrent_data is not None
        torrent = bundle.torrent_data
        signed = SignedManifest(bundle.manifest_payload, bundle.manifest_signature)
        wrapped = session.get(BundleKey, bundle_id)
        assert wrapped is not None
        bundle_key = keys.unwrap(wrapped.wrapped_key)
    manifest = verify_manifest(signed, keys.signing.public_key)
    _, token = issue_license(
        keys.signing,
        store_id=config.store_id,
        account_id="fan",
        bundle_id=bundle_id,
        grant=Grant.whole_bundle(bundle_key),
    )
    registry = SwarmRegistry(resolver_from_db(database))
    app = FastAPI()
    app.include_router(router)
    app.state.swarm = registry
    mount_web_seed(app, config)
    with serve_in_thread(app, loopback_address()) as url:
        yield Published(config, bundle_id, url, registry, torrent, manifest, plaintext, token)
    database.dispose()


def _session(address: str) -> lt.session:
    return lt.session(
        {
            "listen_interfaces": f"{address}:0",
            "outgoing_interfaces": address,
            "enable_dht": False,
            "enable_lsd": False,
            "enable_upnp": False,
            "enable_natpmp": False,
            "enable_outgoing_utp": False,
            "enable_incoming_utp": False,
            "allow_multiple_connections_per_ip": True,
            # The session's destructor holds the GIL while it waits for "stopped" announces that this process's own
            # uvicorn thread cannot answer: 0 skips them (the tracker expires peers anyway).
            "stop_tracker_timeout": 0,
            "alert_mask": lt.alert_category.error | lt.alert_category.status,
        }
    )


def _add(session: lt.session, torrent: bytes, save_path: Path, *, seed: bool = False) -> lt.torrent_handle:
    params = lt.load_torrent_buffer(torrent)
    params.save_path = str(save_path)
    if seed:
        params.flags |= lt.torrent_flags.seed_mode
    params.flags &= ~lt.torrent_flags.paused & ~lt.torrent_flags.auto_managed
    return session.add_torrent(params)


def _wait_finished(handle: lt.torrent_handle, timeout: float = 90.0) -> lt.torrent_status:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = handle.status()
        if status.is_seeding:
            return status
        if status.errc.value():
            raise AssertionError(f"torrent error: {status.errc.message()}")
        time.sleep(0.1)
    raise AssertionError(f"download did not finish: {handle.status().progress:.0%}")


def _check_downloaded(pub: Published, save_path: Path) -> None:
    top = save_path / pub.manifest.title
    lic = verify_license(pub.license_token, load_store_keys(pub.config).signing.public_key)
    locked = [f for f in pub.manifest.files if f.locked]
    assert {f.path for f in locked} == {"episodes/e01.mp4", "episodes/e02.mp4"}
    for entry in pub.manifest.files:
        on_disk = (top / entry.path).read_bytes()
        original = pub.plaintext[entry.path]
        assert len(on_disk) == len(original) == entry.size
        if entry.locked:
            assert on_disk != original and MARKER not in on_disk
            key = lic.file_key(entry.path)
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
    torrent = rewrite_torrent_urls(
        published.torrent, tracker_url=None, web_seed_url=f"{published.base_url}/seed/{published.bundle_id}/"
    )
    session = _session(loopback_address())
    try:
        handle = _add(session, torrent, tmp_path)
        status = _wait_finished(handle)
        assert status.num_peers <= 1  # the web seed is the only source there is
        _check_downloaded(published, tmp_path)
    finally:
        del session


def test_downloads_from_a_peer_found_through_the_tracker(published: Published, tmp_path: Path) -> None:
    torrent = rewrite_torrent_urls(published.torrent, tracker_url=f"{published.base_url}/announce", web_seed_url=None)
    seeder, leecher = _session(loopback_address()), _session(loopback_address())
    try:
        _add(seeder, torrent, published.config.content_dir(published.bundle_id), seed=True)
        deadline = time.monotonic() + 30
        while published.registry.health(str(published.manifest.info_hash_v1)).seeders < 1:
            assert time.monotonic() < deadline, "the seeder never announced to the store's tracker"
            time.sleep(0.1)
        handle = _add(leecher, torrent, tmp_path)
        _wait_finished(handle)
        _check_downloaded(published, tmp_path)
        deadline = time.monotonic() + 30
        while published.registry.health(str(published.manifest.info_hash_v2)).completed < 1:
            assert time.monotonic() < deadline, "the leecher never reported its completed download"
            time.sleep(0.1)
    finally:
        del seeder, leecher
