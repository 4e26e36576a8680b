"""Adding a store bundle to the engine: the .torrent must be the one the signed manifest pins, and only the
files the fan may have are wanted. Against the real demo store and a real engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import libtorrent as lt
import pytest

from app.engine import Engine, EngineSettings
from app.store.account import StoreAccount
from app.store.client import StoreClient
from app.store.vault import LicenseVault
from app.ui.library.index import LibraryIndex
from app.ui.store.backend import StoreBackend
from app.ui.store.bundle_adder import BundleAdder, BundleCheckError, Want
from app.ui.store.torrent_meta import TorrentMetaError, read_torrent_meta
from tests.engine.helpers import make_torrent, write_payload
from tests.support.net import loopback_address


def test_info_hashes_match_libtorrents(tmp_path: Path) -> None:
    content = tmp_path / "Bundle"
    write_payload(content, {"a/one.bin": 70_000, "two.bin": 20_000})
    data = make_torrent(content, version="hybrid")
    meta = read_torrent_meta(data)
    hashes = lt.torrent_info(data).info_hashes()
    assert meta.info_hash_v1 == str(hashes.v1)
    assert meta.info_hash_v2 == str(hashes.v2)
    assert meta.name == "Bundle"
    assert {p for p in meta.file_paths if not p.startswith(".pad")} == {"a/one.bin", "two.bin"}
    with pytest.raises(TorrentMetaError):
        read_torrent_meta(data[: len(data) // 2])
    with pytest.raises(TorrentMetaError):
        read_torrent_meta(b"<html>not a torrent</html>")


class SwappedTorrents(StoreBackend):
    """The real store, except that it answers one bundle's .torrent with another's (a tampered mirror)."""

    def __init__(self, inner: StoreBackend, swap: dict[str, str]) -> None:
        self.__dict__.update(inner.__dict__)
        self._swap = swap

    def download_torrent(self, bundle_id: str) -> bytes:
        return super().download_torrent(self._swap.get(bundle_id, bundle_id))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(EngineSettings.for_loopback_tests(loopback_address()), tmp_path / "state")
    engine.start()
    yield engine
    engine.shutdown()


def test_a_torrent_that_is_not_the_signed_one_is_refused(
    tmp_path: Path, demo_store_url: str, keyring_service: str, engine: Engine
) -> None:
    vault = LicenseVault(service=keyring_service)
    backend = StoreBackend(lambda: StoreAccount(StoreClient(demo_store_url), vault, store_ref=demo_store_url))
    try:
        ids = {s.title: s.id for s in backend.catalog("", None).items}
        album, book = ids["Harbor Lights"], ids["A Field Guide to Small Stars"]
        index = LibraryIndex(tmp_path / "library.json")
        tampered = BundleAdder(SwappedTorrents(backend, {book: album}), engine, index, lambda: tmp_path / "dl")
        with pytest.raises(BundleCheckError) as refused:
            tampered.add(book, Want.FREE)
        assert refused.value.user_message == (
            "This bundle's files don't match what the store signed, so Bundlecast won't download it.")
        assert engine.torrent_ids() == []
        assert index.all() == []

        added = BundleAdder(backend, engine, index, lambda: tmp_path / "dl").add(album, Want.FREE)
        wanted = {f.path.split("/", 1)[1] for f in engine.files(added.torrent_id) if f.priority > 0}
        assert wanted == {"01 - Low Tide Signal.mp3", "cover.png"}  # the free files only
        assert index.get(album) is not None
    finally:
        vault.forget_store(demo_store_url)


def test_buying_a_bundle_added_for_its_pilot_wants_the_episodes_and_keeps_the_pilot(
    tmp_path: Path, demo_store_url: str, keyring_service: str, engine: Engine
) -> None:
    vault = LicenseVault(service=keyring_service)
    backend = StoreBackend(lambda: StoreAccount(StoreClient(demo_store_url), vault, store_ref=demo_store_url))
    try:
        series = next(s.id for s in backend.catalog("", None).items if s.title == "Lumen Drift: Season One")
        meta = read_torrent_meta(backend.download_torrent(series))
        assert meta.info_hash_v2 is not None and any(".pad/" in p for p in meta.file_paths)  # hybrid, with pads
        adder = BundleAdder(backend, engine, LibraryIndex(tmp_path / "library.json"), lambda: tmp_path / "dl")

        def wanted(torrent_id: str) -> set[str]:
            return {f.path.split("/", 1)[1] for f in engine.files(torrent_id) if f.priority > 0}

        tid = adder.add(series, Want.PILOT).torrent_id
        assert wanted(tid) == {"pilot.mp4"}
        assert adder.add(series, Want.PILOT).torrent_id == tid  # re-added: same torrent, same wanted files
        assert wanted(tid) == {"pilot.mp4"}
        bought = adder.add(series, Want.ALL)  # bought: the episodes join, the pilot stays
        everything = {f.path for f in bought.manifest.files}
        assert any(p.startswith("episodes/") for p in everything) and "pilot.mp4" in everything
        assert wanted(tid) == everything
        adder.add(series, Want.PILOT)  # adding again never narrows
        assert wanted(tid) == everything
    finally:
        vault.forget_store(demo_store_url)
