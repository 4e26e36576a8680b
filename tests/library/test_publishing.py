"""The app's publishing code on its own (no store): what the Publish page lists (media facts, faststart advice),
every refusal the issue names — each a sentence, and nothing made — and a cancel that leaves nothing behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import pytest

from app.bundle import BundleKind, GateType
from app.library.publishing import (
    PublishCancelled,
    Publisher,
    PublishInputError,
    PublishRequest,
    moov_before_mdat,
    scan_folder,
)
from tests.support.creator import MemoryKeys, episodes

REPO = Path(__file__).resolve().parents[2]


def _mp4(path: Path, *, faststart: bool) -> Path:
    """One second of tiny video, with its index first (faststart) or last (FFmpeg's default)."""
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", format="mp4", options=options) as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame(64, 64, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([i * 20 % 256]) * plane.buffer_size)
            frame.pts, frame.time_base = i, Fraction(1, 10)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _request(folder: Path, **changes: object) -> PublishRequest:
    values: dict[str, object] = {
        "folder": folder,
        "title": "Lumen Drift",
        "kind": BundleKind.SERIES,
        "gate": GateType.PAID,
        "locked": frozenset({"ep1.bin"}),
        "price_cents": 499,
    }
    values.update(changes)
    return PublishRequest(**values)  # type: ignore[arg-type]


def _nothing_made(work: Path) -> bool:
    return not work.exists() or not any(work.iterdir())


@pytest.fixture
def publisher(tmp_path: Path) -> Iterator[Publisher]:
    yield Publisher(tmp_path / "work", keys=MemoryKeys())


def test_media_facts_say_which_videos_stream_well_and_how_to_fix_the_others(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    _mp4(folder / "good.mp4", faststart=True)
    _mp4(folder / "slow.mp4", faststart=False)
    (folder / "notes.txt").write_text("credits")
    (folder / ".hidden").write_text("not content")
    facts = {f.path: f for f in scan_folder(folder)}
    assert set(facts) == {"good.mp4", "slow.mp4", "notes.txt"}
    assert facts["good.mp4"].streams_well is True and facts["good.mp4"].duration_s == pytest.approx(1.0, abs=0.2)
    assert facts["good.mp4"].bitrate and facts["good.mp4"].bitrate > 0
    assert facts["slow.mp4"].streams_well is False
    assert "-movflags +faststart" in facts["slow.mp4"].advice
    assert facts["notes.txt"].streams_well is None and facts["notes.txt"].duration_s is None
    assert moov_before_mdat(folder / "good.mp4") is True and moov_before_mdat(folder / "slow.mp4") is False


def test_a_broken_video_is_named_in_a_sentence(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "ep.mp4").write_bytes(b"definitely not a video" * 100)
    with pytest.raises(PublishInputError, match=r"ep\.mp4 looks like video but cannot be read as media"):
        scan_folder(tmp_path / "src")


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"title": "x" * 10_000}, "The title has 10,000 characters; at most 200 fit."),
        ({"price_cents": -100}, "The price must be between $0.01 and $10,000.00."),
        ({"price_cents": 10**14}, "The price must be between $0.01 and $10,000.00."),
        ({"title": "   "}, "Give the bundle a title."),
        ({"gate": GateType.FREE}, "A free bundle cannot have locked files"),
        ({"locked": frozenset()}, "Lock at least one file"),
        ({"gate": GateType.CAMPAIGN}, "A campaign needs a goal"),
    ],
)
def test_bad_requests_are_refused_with_a_sentence_and_nothing_is_made(
    publisher: Publisher, tmp_path: Path, changes: dict[str, object], sentence: str
) -> None:
    folder = episodes(tmp_path / "src", {"ep1.bin": 1000})
    with pytest.raises(PublishInputError) as refused:
        publisher.plan(_request(folder, **changes))
    assert sentence in str(refused.value)
    assert _nothing_made(tmp_path / "work")


def test_a_cover_that_is_not_an_image_and_an_empty_folder_are_refused(publisher: Publisher, tmp_path: Path) -> None:
    folder = episodes(tmp_path / "src", {"ep1.bin": 1000})
    fake = tmp_path / "cover.png"
    fake.write_text("I am text with a .png name")
    with pytest.raises(PublishInputError, match="is not a PNG image"):
        publisher.plan(_request(folder, cover=fake))
    (tmp_path / "empty").mkdir()
    with pytest.raises(PublishInputError, match="has no files in it"):
        publisher.plan(_request(tmp_path / "empty"))


def test_a_file_larger_than_the_free_disk_is_refused_before_anything_is_encrypted(
    publisher: Publisher, tmp_path: Path
) -> None:
    folder = episodes(tmp_path / "src", {"ep1.bin": 1000})
    free = shutil.disk_usage(tmp_path).free
    with (folder / "huge.bin").open("wb") as fh:  # sparse: as large as the disk's free space and 1 GB more
        fh.truncate(free + 10**9)
    with pytest.raises(PublishInputError, match=r"Publishing needs .* GB free .* but the disk has only"):
        publisher.plan(_request(folder))
    assert _nothing_made(tmp_path / "work")


# Root reads every file through CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH. The scan runs without them — still uid 0, so
# the checkout and its .venv stay reachable wherever they live (a fresh clone under a 0700 folder), yet a mode-000
# file is refused by the real filesystem. On exec a root process's permitted set is its bounding set (plus its
# inheritable one), so both are emptied of the two capabilities. Not root: a mode-000 file is unreadable already.
WITHOUT_READ_OVERRIDE = ["setpriv", "--inh-caps=-all", "--ambient-caps=-all",
                         "--bounding-set=-dac_override,-dac_read_search", "--"] if os.geteuid() == 0 else []


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    """The scan, run without root's power to read any file, names the file it cannot read."""
    episodes(tmp_path / "src", {"ep1.bin": 100, "ep2.bin": 100})
    unreadable = tmp_path / "src" / "ep2.bin"
    unreadable.chmod(0o000)
    code = "from pathlib import Path; from app.library.publishing import scan_folder; scan_folder(Path(%r))"
    ran = subprocess.run(
        [*WITHOUT_READ_OVERRIDE, sys.executable, "-c", code % str(tmp_path / "src")],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert "No module named" not in ran.stderr  # the scan itself ran, not a failed start
    assert ran.returncode != 0
    assert "ep2.bin cannot be read (permission denied)" in ran.stderr


def test_cancel_mid_encryption_removes_everything(publisher: Publisher, tmp_path: Path) -> None:
    folder = episodes(tmp_path / "src", {"ep1.bin": 6 * 1024 * 1024, "ep2.bin": 1024})
    job = publisher.plan(_request(folder))
    cancel = threading.Event()

    def progress(step: str, done: int, total: int) -> None:
        if step == "encrypting" and done > 2 * 1024 * 1024:
            cancel.set()

    with pytest.raises(PublishCancelled, match="nothing was published"):
        publisher.run(job, progress=progress, cancel=cancel)
    assert not publisher.job_dir(job).exists()
    assert publisher._keys.get(job) is None  # type: ignore[attr-defined]


def test_a_locked_file_is_ciphertext_in_the_bundle_folder_and_a_free_one_is_a_copy(
    publisher: Publisher, tmp_path: Path
) -> None:
    folder = episodes(tmp_path / "src", {"ep1.bin": 3 * 1024 * 1024 + 17, "pilot.bin": 5000})
    job = publisher.plan(_request(folder))
    publisher.run(job)  # no store and no engine: encrypt and make the torrent only
    top = publisher.bundle_dir(job) / "Lumen Drift"
    assert (top / "pilot.bin").read_bytes() == (folder / "pilot.bin").read_bytes()
    cipher = (top / "ep1.bin").read_bytes()
    assert len(cipher) == 3 * 1024 * 1024 + 17 and cipher != (folder / "ep1.bin").read_bytes()
    assert (publisher.job_dir(job) / "bundle.torrent").read_bytes().startswith(b"d")
