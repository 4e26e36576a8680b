"""What a creator asks to publish, and the checks made before any work starts (so a refused publish changes
nothing): title and text lengths, gate and price bounds, a cover that is a PNG, locked files that exist, and enough
free disk for the encrypted copy. The store checks all of it again. Pure apart from reading the disk; any thread.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from app.bundle import BundleKind, GateType
from app.library.publishing.errors import PublishInputError
from app.library.publishing.facts import FileFacts

MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_SUMMARY = 500
MAX_PRICE_CENTS = 1_000_000
DISK_MARGIN = 64 * 1024 * 1024  # left free after the encrypted copy
PIECE_SIZE = 256 * 1024
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class TierChoice:
    tier_id: str
    title: str
    price_cents: int
    description: str = ""


@dataclass(frozen=True, slots=True)
class PublishRequest:
    folder: Path
    title: str
    kind: BundleKind
    gate: GateType
    locked: frozenset[str]  # paths relative to the folder
    price_cents: int | None = None  # paid and campaign: the price; pwyw: the minimum
    description: str = ""
    summary: str = ""
    cover: Path | None = None
    goal_backers: int | None = None
    goal_cents: int | None = None
    deadline_days: float = 30.0
    tiers: tuple[TierChoice, ...] = field(default=())
    release_of: str | None = None  # a bundle id: this publishes a release of that bundle
    release_id: str = ""
    release_title: str = ""
    first_release: bool = False  # the bundle has no files yet (a live bundle's recording): its folder starts here
    nonces: tuple[tuple[str, str], ...] = ()  # (path, hex) of locked files whose nonce is fixed in advance

    def validate(self, files: list[FileFacts], work_dir: Path) -> None:
        """Refuse with one sentence, before anything is written or sent."""
        title = self.title.strip()
        if not title and self.release_of is None:
            raise PublishInputError("Give the bundle a title.")
        for label, text, limit in (
            ("title", self.title, MAX_TITLE),
            ("description", self.description, MAX_DESCRIPTION),
            ("summary", self.summary, MAX_SUMMARY),
        ):
            if len(text) > limit:
                raise PublishInputError(f"The {label} has {len(text):,} characters; at most {limit:,} fit.")
        if self.release_of is None:  # a release keeps the bundle's gate and price
            self._check_price()
        paths = {f.path for f in files}
        if missing := sorted(self.locked - paths):
            raise PublishInputError(f"{missing[0]} is marked locked but is not in the folder.")
        if self.gate is GateType.FREE and self.locked:
            raise PublishInputError("A free bundle cannot have locked files; choose another gate or unlock them.")
        if self.gate is not GateType.FREE and not self.locked and self.release_of is None:
            raise PublishInputError("Lock at least one file, or choose the free gate: otherwise nothing is gated.")
        if self.cover is not None:
            try:
                head = self.cover.read_bytes()[:8]
            except OSError as exc:
                raise PublishInputError(f"The cover {self.cover.name} cannot be read.") from exc
            if head != _PNG_MAGIC:
                raise PublishInputError(f"The cover {self.cover.name} is not a PNG image. Choose a .png picture.")
        self._check_space(files, work_dir)

    def _check_price(self) -> None:
        paid = self.gate in (GateType.PAID, GateType.CAMPAIGN)
        if paid and (self.price_cents is None or not 1 <= self.price_cents <= MAX_PRICE_CENTS):
            raise PublishInputError(f"The price must be between $0.01 and ${MAX_PRICE_CENTS / 100:,.2f}.")
        if self.gate is GateType.PWYW and (self.price_cents is None or not 0 <= self.price_cents <= MAX_PRICE_CENTS):
            raise PublishInputError(f"The minimum price must be between $0.00 and ${MAX_PRICE_CENTS / 100:,.2f}.")
        for tier in self.tiers:
            if not 1 <= tier.price_cents <= MAX_PRICE_CENTS:
                raise PublishInputError(
                    f"The tier “{tier.title}” must cost between $0.01 and ${MAX_PRICE_CENTS / 100:,.2f}."
                )
        if self.gate is GateType.CAMPAIGN and self.goal_backers is None and self.goal_cents is None:
            raise PublishInputError("A campaign needs a goal: a number of backers, an amount, or both.")

    @staticmethod
    def _check_space(files: list[FileFacts], work_dir: Path) -> None:
        work_dir.mkdir(parents=True, exist_ok=True)
        needed = sum(f.size for f in files) + DISK_MARGIN
        free = shutil.disk_usage(work_dir).free
        if free < needed:
            raise PublishInputError(
                f"Publishing needs {needed / 1e9:.1f} GB free for the bundle's copy, but the disk has only "
                f"{free / 1e9:.1f} GB free. Free some space or choose a smaller folder."
            )
