"""Playable copies' choices and rules, on files in a temporary folder (the real-parts test is
tests/ui/test_playable_copies.py): a bundle's own choice beats the one for all and survives a restart, only
complete files are copied, a file this owner's license does not open is skipped, and Off removes the copies."""

from __future__ import annotations

import os
from pathlib import Path

from app.bundle import (
    BundleKind,
    ContentCipher,
    Gate,
    GateType,
    Grant,
    License,
    Manifest,
    ManifestFile,
    derive_file_key,
)
from app.library.fan_folders import FanFolders
from app.library.locked_files import locked_disk_name
from app.library.playable_copies import BundleOnDisk, CopyChoices, PlayableCopies


def test_a_bundles_own_choice_beats_the_choice_for_all_and_is_kept(tmp_path: Path) -> None:
    choices = CopyChoices(tmp_path / "c.json")
    assert not choices.wants("a")
    choices.set_for_all(True)
    choices.set_for_bundle("b", False)
    again = CopyChoices(tmp_path / "c.json")
    assert again.wants("a") and not again.wants("b") and again.for_all
    again.set_for_bundle("b", None)
    assert CopyChoices(tmp_path / "c.json").wants("b")


def test_only_complete_files_the_license_opens_are_copied_and_off_removes_them(tmp_path: Path) -> None:
    key = os.urandom(32)
    nonce = os.urandom(16)
    plain = os.urandom(50_000)
    manifest = _manifest(nonce)
    root = tmp_path / "dl" / "Album"
    root.mkdir(parents=True)
    cipher = ContentCipher(derive_file_key(key, "02.mp3"), nonce)
    (root / locked_disk_name("02.mp3")).write_bytes(cipher.decrypt_at(0, plain))
    (root / "01.mp3").write_bytes(b"x" * 10)
    license = _license_for(key)
    complete = {"01.mp3"}
    folders = FanFolders(tmp_path / "Music", tmp_path / "Videos", tmp_path / "Books")
    choices = CopyChoices(tmp_path / "choices.json")
    copies = PlayableCopies(choices, folders, lambda _b: BundleOnDisk(manifest, root, frozenset(complete), (license,)))
    copies.set_choice("album", True)
    assert copies.sync("album") == [tmp_path / "Music" / "Album" / "01.mp3"]  # 02 still downloading
    complete.add("02.mp3")
    assert copies.sync("album") == [tmp_path / "Music" / "Album" / "02.mp3"]  # a release arrived: in step
    assert (tmp_path / "Music" / "Album" / "02.mp3").read_bytes() == plain
    copies.set_choice("album", False)
    assert copies.sync("album") == []
    assert not (tmp_path / "Music" / "Album").exists()


def _manifest(nonce: bytes) -> Manifest:
    return Manifest(
        bundle_id="album", store_id="s", title="Album", creator="c", kind=BundleKind.MUSIC, description="",
        gate=Gate(GateType.PAID, price_cents=700),
        files=(ManifestFile("01.mp3", 10, "audio/mpeg", False),
               ManifestFile("02.mp3", 50_000, "audio/mpeg", True, nonce=nonce.hex())),
        info_hash_v1="0" * 40, info_hash_v2=None,
    )


def _license_for(key: bytes) -> License:
    return License(license_id="l", store_id="s", account_id="a", bundle_id="album",
                   grant=Grant.whole_bundle(key), issued_at=0)
