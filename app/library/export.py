"""*Export decrypted copy…*: writes a plaintext copy of an owned bundle into a folder the owner picked.

Locked files are decrypted with the license's per-file key (AES-256-CTR, ``ContentCipher``) in 1 MiB blocks
as they are read from the download folder; free files are copied. Nothing is decrypted in place and nothing
plaintext is written anywhere but the chosen folder (this is the one explicit exception to "paid bytes stay
ciphertext on disk" — the owner asked for it). Progress is reported as (bytes done, bytes total).

Blocking; runs on a worker thread. ``progress`` is called on that worker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath

from app.atomic_write import publish_atomically
from app.bundle import ContentCipher, License, Manifest
from app.library.errors import ExportError
from app.library.licenses import key_for, rank_licenses
from app.library.locked_files import source_on_disk

BLOCK = 1024 * 1024


def _safe_target(folder: Path, relative: str) -> Path:
    parts = PurePosixPath(relative).parts
    if not parts or any(p in ("..", "") for p in parts) or PurePosixPath(relative).is_absolute():
        raise ExportError(f"The bundle lists a file with an unsafe name (“{relative}”); nothing was exported.")
    return folder.joinpath(*parts)


def export_bundle(
    manifest: Manifest,
    licenses: list[License],
    source_root: Path,
    target: Path,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write every file of the bundle under ``target/<title>/``; returns the paths written."""
    total = sum(f.size for f in manifest.files)
    done = 0
    written: list[Path] = []
    ranked = rank_licenses(manifest, licenses)  # the same choice the player makes (app.library.licenses)
    folder = target / (manifest.title.replace("/", "-").strip() or manifest.bundle_id)
    for entry in manifest.files:
        source = source_on_disk(source_root, entry)
        if not source.is_file() or source.stat().st_size < entry.size:
            raise ExportError(f"“{entry.path}” is not fully downloaded yet. Download the bundle, then export.")
        cipher: ContentCipher | None = None
        if entry.locked:
            key = key_for(entry.path, ranked)
            if key is None or not entry.nonce:
                raise ExportError(f"Your license does not open “{entry.path}”.")
            cipher = ContentCipher(key, bytes.fromhex(entry.nonce))
        destination = _safe_target(folder, entry.path)
        # Written as "<name>.part" and renamed once whole: an export cut short (an error, the app killed, the
        # disk full) never leaves a truncated file under the real name.
        partial = destination.with_name(destination.name + ".part")
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            with source.open("rb") as reader, partial.open("wb") as writer:
                offset = 0
                while offset < entry.size:
                    block = reader.read(min(BLOCK, entry.size - offset))
                    if not block:
                        break
                    writer.write(cipher.decrypt_at(offset, block) if cipher else block)
                    offset += len(block)
                    done += len(block)
                    if progress:
                        progress(done, total)
            if offset < entry.size:
                raise ExportError(f"“{entry.path}” ended early on disk; re-check the download, then export again.")
            publish_atomically(partial, destination)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ExportError(f"Could not write “{destination}”: {exc.strerror or exc}") from exc
        except ExportError:
            partial.unlink(missing_ok=True)
            raise
        written.append(destination)
    return written
