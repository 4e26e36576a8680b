"""Large test content without large memory: files of pseudo-random bytes written quickly (an AES-CTR keystream —
every byte written, nothing sparse, ~10x faster than ``os.urandom`` here), their SHA-256 taken while they are
written, and a downloaded copy checked by hashing it while it is read (decrypting a locked file on the way), 1 MiB at
a time. Runs on the test's thread."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from app.bundle import ContentCipher

BLOCK = 1 << 20
_ZEROS = bytes(BLOCK)


def write_random_files(folder: Path, sizes: dict[str, int]) -> dict[str, str]:
    """Write ``sizes`` (relative path -> bytes) under ``folder``; returns each file's SHA-256 (hex)."""
    digests = {}
    for rel, size in sizes.items():
        stream = Cipher(algorithms.AES(os.urandom(32)), modes.CTR(os.urandom(16))).encryptor()
        digest = hashlib.sha256()
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            left = size
            while left:
                block = stream.update(_ZEROS[: min(left, BLOCK)])
                digest.update(block)
                fh.write(block)
                left -= len(block)
        digests[rel] = digest.hexdigest()
    return digests


def sha256_of(path: Path, cipher: ContentCipher | None = None) -> str:
    """The SHA-256 of a file's bytes — of its plaintext when ``cipher`` opens it — read 1 MiB at a time."""
    digest = hashlib.sha256()
    offset = 0
    with path.open("rb") as fh:
        while block := fh.read(BLOCK):
            digest.update(cipher.decrypt_at(offset, block) if cipher is not None else block)
            offset += len(block)
    return digest.hexdigest()


def first_block(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(BLOCK)


def folder_bytes(folder: Path) -> int:
    """Bytes the files under ``folder`` hold (allocated blocks, so a sparse file would show as small)."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
