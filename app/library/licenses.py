"""Which of a fan's licenses open which files of a bundle — the one choice both the player and export use.

A fan may hold several licenses for one bundle (a purchase's *files* grant, then a campaign's season pass that
also opens later releases). ``rank_licenses`` orders them best first: the one that opens the most of the
manifest's locked files, then a season pass (a *bundle* grant) over a files grant, then the newest. The player
plays with ``license_for_player`` (the best one); export asks ``key_for`` per file across all of them, in that
order. Pure; any thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.bundle import License, Manifest
from app.bundle.license import GrantScope


def rank_licenses(manifest: Manifest, licenses: Iterable[License]) -> tuple[License, ...]:
    """The bundle's licenses, best first (other bundles' licenses are left out)."""
    locked = [f.path for f in manifest.files if f.locked]

    def score(lic: License) -> tuple[int, int, int]:
        opened = sum(1 for path in locked if lic.file_key(path) is not None)
        return opened, int(lic.grant.scope is GrantScope.BUNDLE), lic.issued_at

    own = [lic for lic in licenses if lic.bundle_id == manifest.bundle_id]
    return tuple(sorted(own, key=score, reverse=True))


def license_for_player(manifest: Manifest, licenses: Iterable[License]) -> License | None:
    ranked = rank_licenses(manifest, licenses)
    return ranked[0] if ranked else None


def key_for(path: str, ranked: Sequence[License]) -> bytes | None:
    """The key of ``path`` from the first license (in ``rank_licenses`` order) that opens it."""
    return next((key for lic in ranked if (key := lic.file_key(path)) is not None), None)
