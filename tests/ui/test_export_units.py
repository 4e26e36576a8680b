"""Export of a decrypted copy, on its own: locked files come out as their plaintext, and an export cut short
never leaves a truncated file under a real name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
from app.ui.errors import ExportError
from app.ui.library.export import export_bundle

BUNDLE_KEY = bytes(range(32))
NONCE = bytes(range(16))


def _bundle(tmp_path: Path) -> tuple[Manifest, dict[str, bytes], Path]:
    """A bundle on disk as the swarm leaves it: the free file plain, the locked one encrypted."""
    plain = {"cover.png": os.urandom(3000), "episodes/e1.mp4": os.urandom(2_500_000)}
    root = tmp_path / "downloads" / "Show"
    (root / "episodes").mkdir(parents=True)
    (root / "cover.png").write_bytes(plain["cover.png"])
    cipher = ContentCipher(derive_file_key(BUNDLE_KEY, "episodes/e1.mp4"), NONCE)
    (root / "episodes" / "e1.mp4").write_bytes(cipher.encrypt_at(0, plain["episodes/e1.mp4"]))
    files = (
        ManifestFile("cover.png", 3000, "image/png", False),
        ManifestFile("episodes/e1.mp4", 2_500_000, "video/mp4", True, nonce=NONCE.hex()),
    )
    manifest = Manifest(bundle_id="b1", store_id="s", title="Show", creator="C", kind=BundleKind.SERIES,
                        description="", gate=Gate(GateType.PAID, price_cents=995), files=files,
                        info_hash_v1="ab" * 20, info_hash_v2=None)
    return manifest, plain, root


def _license() -> License:
    return License("l1", "s", "a1", "b1", Grant.whole_bundle(BUNDLE_KEY), 0)


def test_the_export_is_the_plaintext_of_every_file(tmp_path: Path) -> None:
    manifest, plain, root = _bundle(tmp_path)
    reported: list[tuple[int, int]] = []
    written = export_bundle(manifest, [_license()], root, tmp_path / "out", lambda d, t: reported.append((d, t)))
    assert {p.relative_to(tmp_path / "out" / "Show").as_posix(): p.read_bytes() for p in written} == plain
    assert reported[-1] == (2_503_000, 2_503_000)
    assert not list((tmp_path / "out").rglob("*.part"))


def test_an_export_cut_short_leaves_no_file_under_its_real_name(tmp_path: Path) -> None:
    manifest, _, root = _bundle(tmp_path)

    def cut_short(done: int, _total: int) -> None:
        if done > 3000 + 1_000_000:  # in the middle of the episode
            raise OSError(28, "No space left on device")

    with pytest.raises(ExportError, match="No space left on device"):
        export_bundle(manifest, [_license()], root, tmp_path / "out", cut_short)
    left = sorted(p.relative_to(tmp_path / "out" / "Show").as_posix() for p in (tmp_path / "out").rglob("*")
                  if p.is_file())
    assert left == ["cover.png"]  # whole; the episode neither truncated under its name nor as a .part


def test_a_file_shorter_on_disk_than_the_manifest_says_is_refused(tmp_path: Path) -> None:
    manifest, _, root = _bundle(tmp_path)
    with (root / "episodes" / "e1.mp4").open("r+b") as handle:
        handle.truncate(1_000_000)
    with pytest.raises(ExportError, match="not fully downloaded"):
        export_bundle(manifest, [_license()], root, tmp_path / "out")
