"""The publishing journal: where a publish got to, written atomically (temp file, fsync, rename) after every step,
so a publish the app crashed in resumes where it stopped. No secret is written here (the bundle key is in the
keyring). Any thread (one job writes its journal)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STEPS = ("planned", "encrypted", "torrent_made", "seeding", "drafted", "uploaded", "published")


@dataclass
class Journal:
    job_id: str
    step: str
    request: dict[str, Any]
    files: list[dict[str, Any]]  # path, size, media facts, locked, nonce (hex), release
    top_name: str
    store_url: str
    torrent_id: str | None = None
    draft_id: str | None = None
    bundle_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def reached(self, step: str) -> bool:
        return STEPS.index(self.step) >= STEPS.index(step)

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(asdict(self), fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    @classmethod
    def load(cls, path: Path) -> Journal:
        return cls(**json.loads(path.read_text(encoding="utf-8")))
