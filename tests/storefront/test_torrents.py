"""Torrent creation and serve-time rewriting, checked against libtorrent's own reading of the result."""

from __future__ import annotations

import os
from pathlib import Path

import libtorrent as lt
import pytest

from storefront.torrents import (
    MEDIA_PIECE_SIZE,
    TorrentError,
    bdecode,
    bencode,
    create_bundle_torrent,
    info_hashes,
    magnet_uri,
    rewrite_torrent_urls,
)


def test_bencode_sorts_keys_and_round_trips() -> None:
    value = {"b": [1, -2, b"\x00\xff"], "a": {"z": "text", "y": 0}}
    encoded = bencode(value)
    assert encoded == b"d1:ad1:yi0e1:z4:texte1:bli1ei-2e2:\x00\xffee"
    assert bdecode(encoded) == {b"a": {b"y": 0, b"z": b"text"}, b"b": [1, -2, b"\x00\xff"]}


@pytest.mark.parametrize("broken", [b"", b"i12", b"5:abc", b"d1:a", b"x", b"i1ei2e", b"l"])
def test_bdecode_refuses_broken_data(broken: bytes) -> None:
    with pytest.raises(TorrentError):
        bdecode(broken)


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    top = tmp_path_factory.mktemp("bundle") / "My Bundle"
    (top / "episodes").mkdir(parents=True)
    (top / "episodes" / "one.bin").write_bytes(os.urandom(700_000))
    (top / "readme.txt").write_bytes(b"read me\n")
    return top


def test_created_torrent_is_hybrid_with_tracker_web_seed_and_media_pieces(content: Path) -> None:
    made = create_bundle_torrent(
        content, tracker_url="http://127.0.0.9:1/announce", web_seed_url="http://127.0.0.9:1/seed/b1/"
    )
    info = lt.torrent_info(made.data)
    hashes = info.info_hashes()
    assert hashes.has_v1() and hashes.has_v2()
    assert (str(hashes.v1), str(hashes.v2)) == (made.info_hash_v1, made.info_hash_v2)
    assert info.name() == "My Bundle" and made.piece_size == MEDIA_PIECE_SIZE == info.piece_length()
    params = lt.load_torrent_buffer(made.data)
    assert params.trackers == ["http://127.0.0.9:1/announce"]
    assert params.url_seeds == ["http://127.0.0.9:1/seed/b1/"]
    assert info_hashes(made.data) == (made.info_hash_v1, made.info_hash_v2)


def test_a_single_file_still_makes_a_folder_torrent(tmp_path: Path) -> None:
    top = tmp_path / "Solo"
    top.mkdir()
    (top / "book.epub").write_bytes(b"x" * 1000)
    made = create_bundle_torrent(top, tracker_url=None, web_seed_url=None)
    meta = bdecode(made.data)
    assert isinstance(meta, dict) and b"files" in meta[b"info"]  # type: ignore[operator]


def test_rewriting_urls_keeps_the_info_hash(content: Path) -> None:
    made = create_bundle_torrent(content, tracker_url="http://old:1/announce", web_seed_url="http://old:1/seed/x/")
    served = rewrite_torrent_urls(
        made.data, tracker_url="http://127.0.0.3:4242/announce", web_seed_url="http://127.0.0.3:4242/seed/x/"
    )
    info = lt.torrent_info(served)
    assert str(info.info_hashes().v1) == made.info_hash_v1
    assert str(info.info_hashes().v2) == made.info_hash_v2
    params = lt.load_torrent_buffer(served)
    assert params.trackers == ["http://127.0.0.3:4242/announce"]
    assert params.url_seeds == ["http://127.0.0.3:4242/seed/x/"]
    bare = rewrite_torrent_urls(made.data, tracker_url=None, web_seed_url=None)
    assert b"announce" not in bare.split(b"4:info")[0] and info_hashes(bare) == info_hashes(made.data)


def test_creating_from_an_empty_or_missing_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(TorrentError, match="not a folder"):
        create_bundle_torrent(tmp_path / "nope", tracker_url=None, web_seed_url=None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(TorrentError, match="no files"):
        create_bundle_torrent(tmp_path / "empty", tracker_url=None, web_seed_url=None)


def test_magnet_carries_both_hashes_tracker_and_web_seed() -> None:
    uri = magnet_uri(
        info_hash_v1="a" * 40,
        info_hash_v2="b" * 64,
        name="Lumen Drift & co",
        tracker_url="http://127.0.0.4:80/announce",
        web_seed_url="http://127.0.0.4:80/seed/x/",
    )
    params = lt.parse_magnet_uri(uri)
    assert str(params.info_hashes.v1) == "a" * 40 and str(params.info_hashes.v2) == "b" * 64
    assert params.name == "Lumen Drift & co"
    assert params.trackers == ["http://127.0.0.4:80/announce"]
    assert params.url_seeds == ["http://127.0.0.4:80/seed/x/"]


@pytest.mark.parametrize("broken", [b"not a torrent", b"le", b"d4:infod1:ai1eee-trailing", b"d8:announce3:urle"])
def test_rewriting_or_hashing_a_broken_torrent_says_so(broken: bytes) -> None:
    with pytest.raises(TorrentError):
        info_hashes(rewrite_torrent_urls(broken, tracker_url="http://127.0.0.5/announce", web_seed_url=None))
