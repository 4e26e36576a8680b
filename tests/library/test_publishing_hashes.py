"""The publishing pass hashes the ciphertext as it writes it (``app/library/publishing/encrypting.py``): the torrent
it makes has the info dict libtorrent's own ``create_torrent`` makes of the bundle folder it wrote, byte for byte,
for files whose sizes straddle every 16 KiB block and 256 KiB piece boundary, longer than the buffer pool, and when
a resumed job hashes a file it had written before a crash; the locked files decrypt to their plaintext; a hashing
failure is a sentence, never a hang."""

from __future__ import annotations

import threading
from pathlib import Path

import libtorrent as lt
import pytest

from app.bundle import BundleKind, ContentCipher, GateType, derive_file_key
from app.engine import FileHasher, create_torrent
from app.library.publishing import Publisher, PublishError, PublishRequest
from app.library.publishing.encrypting import POOL, ChunkPipeline, encrypt_file
from tests.support.creator import MemoryKeys, episodes

PIECE = 256 * 1024
BLOCK = 16 * 1024
SIZES = {
    "a/one-byte.bin": 1,
    "a/block-less-one.bin": BLOCK - 1,
    "a/block-and-one.bin": BLOCK + 1,
    "b/piece-less-one.bin": PIECE - 1,
    "b/piece.bin": PIECE,
    "b/piece-and-one.bin": PIECE + 1,
    "c/longer-than-the-pool.bin": (POOL + 3) * PIECE + BLOCK + 5,
    "free.bin": 3 * BLOCK + 7,
}


def _info(torrent: bytes) -> bytes:
    return bytes(lt.bencode(lt.bdecode(torrent)[b"info"]))


def _publish(tmp_path: Path, publisher: Publisher) -> tuple[str, Path, Path]:
    folder = episodes(tmp_path / "src", SIZES)
    locked = frozenset(p for p in SIZES if p != "free.bin")
    request = PublishRequest(
        folder=folder, title="Lumen Drift", kind=BundleKind.SERIES, gate=GateType.PAID, locked=locked, price_cents=499
    )
    return publisher.plan(request), folder, tmp_path / "work"


def test_the_streamed_torrent_equals_libtorrents_of_the_ciphertext_written(tmp_path: Path) -> None:
    keys = MemoryKeys()
    publisher = Publisher(tmp_path / "work", keys=keys)
    job, folder, _ = _publish(tmp_path, publisher)
    key = keys.get(job)
    assert key is not None
    publisher.run(job)
    top = publisher.bundle_dir(job) / "Lumen Drift"
    ours = (publisher.job_dir(job) / "bundle.torrent").read_bytes()
    assert _info(ours) == _info(create_torrent(top, piece_size=PIECE))
    nonces = {str(f["path"]): f["nonce"] for f in publisher.journal(job).files}
    for rel in SIZES:
        written, plain = (top / rel).read_bytes(), (folder / rel).read_bytes()
        if rel == "free.bin":
            assert written == plain
        else:
            cipher = ContentCipher(derive_file_key(key, rel), bytes.fromhex(str(nonces[rel])))
            assert written != plain and cipher.decrypt_at(0, written) == plain


def test_a_resumed_job_hashes_the_files_written_before_the_crash_the_same(tmp_path: Path) -> None:
    publisher = Publisher(tmp_path / "work", keys=MemoryKeys())
    job, _, _ = _publish(tmp_path, publisher)
    publisher.run(job)
    torrent = publisher.job_dir(job) / "bundle.torrent"
    first = torrent.read_bytes()
    journal = publisher.journal(job)
    journal.step = "planned"  # as if the app died after writing every file but before the journal said so
    journal.save(publisher.job_dir(job) / "journal.json")
    torrent.unlink()
    publisher.run(job)
    assert _info(torrent.read_bytes()) == _info(first)


def test_a_hashing_failure_is_a_sentence_not_a_hang(tmp_path: Path) -> None:
    source = episodes(tmp_path / "src", {"x.bin": (POOL + 4) * PIECE})
    pipeline = ChunkPipeline(hashing=True)
    short = FileHasher("x.bin", PIECE, PIECE)  # told the file is one piece: the second chunk is one too many
    encrypt_file(
        source / "x.bin",
        tmp_path / "x.part",
        None,
        pipeline=pipeline,
        hasher=short,
        cancel=threading.Event(),
        report=lambda _done: None,
    )  # the hashing threads keep giving the buffers back after the failure, so this returns
    pipeline.finish(short)
    with pytest.raises(PublishError, match="Hashing the bundle failed"):
        pipeline.close()


def test_a_bundle_of_one_file_gets_libtorrents_torrent_without_a_tail_pad(tmp_path: Path) -> None:
    """libtorrent pads every file of a hybrid torrent when there are several, but not a lone file."""
    folder = episodes(tmp_path / "src", {"film.bin": 2 * PIECE + BLOCK + 3})
    request = PublishRequest(
        folder=folder, title="One Film", kind=BundleKind.FILM, gate=GateType.PAID,
        locked=frozenset({"film.bin"}), price_cents=499,
    )  # fmt: skip
    publisher = Publisher(tmp_path / "work", keys=MemoryKeys())
    job = publisher.plan(request)
    publisher.run(job)
    ours = (publisher.job_dir(job) / "bundle.torrent").read_bytes()
    theirs = create_torrent(publisher.bundle_dir(job) / "One Film", piece_size=PIECE)
    assert _info(ours) == _info(theirs)
    assert b".pad" not in _info(ours)


def test_a_file_that_grew_after_planning_is_named_not_reported_as_a_hashing_failure(tmp_path: Path) -> None:
    publisher = Publisher(tmp_path / "work", keys=MemoryKeys())
    job, folder, _ = _publish(tmp_path, publisher)
    with (folder / "b/piece.bin").open("ab") as grown:
        grown.write(b"more")  # its hasher, told the planned size, fails on the extra bytes
    with pytest.raises(PublishError, match=r"piece\.bin changed while it was being published"):
        publisher.run(job)
