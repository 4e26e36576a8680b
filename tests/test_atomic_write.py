"""``app.atomic_write``: a file is its old self or its new self — never half, never a stray temp file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.atomic_write import publish_atomically, write_atomically


def test_a_write_replaces_the_file_whole_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "state.json"
    write_atomically(target, "old")
    write_atomically(target, b"new", mode=0o600)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]


def test_a_write_that_fails_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    write_atomically(target, "old")

    class Unwritable(str):
        def encode(self, *_args: object, **_kwargs: object) -> bytes:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, Unwritable("new"))
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_partial_file_is_published_under_its_name(tmp_path: Path) -> None:
    partial = tmp_path / "track.mp3.part"
    partial.write_bytes(b"whole")
    publish_atomically(partial, tmp_path / "track.mp3")
    assert (tmp_path / "track.mp3").read_bytes() == b"whole" and not partial.exists()
