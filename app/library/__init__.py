"""The fan's bundle use cases, Qt-free: the library index, adding a bundle, what to play, the shelf, export.

Joins ``app.engine``, ``app.store``, ``app.bundle`` and ``app.player`` (its item and watch-state types); never Qt,
never ``app.ui`` (import-linter contracts in pyproject.toml). ``Library`` is the façade the window's workers call.
Other modules of this package (playable copies, new releases) are re-exported by their owners below.
"""

from app.library.adder import AddedBundle, BundleAdder, Want
from app.library.backend import StoreBackend
from app.library.errors import BundleCheckError, ExportError, LibraryError, NotInLibraryError
from app.library.index import LibraryIndex, LibraryRecord
from app.library.library import Library
from app.library.licenses import license_for_player, rank_licenses
from app.library.playlist import PlayPlan, file_title, offer_for, plan_items, release_order
from app.library.shelf import ShelfBook, ShelfBundle, ShelfEpisode

__all__ = [
    "AddedBundle",
    "BundleAdder",
    "BundleCheckError",
    "ExportError",
    "Library",
    "LibraryError",
    "LibraryIndex",
    "LibraryRecord",
    "NotInLibraryError",
    "PlayPlan",
    "ShelfBook",
    "ShelfBundle",
    "ShelfEpisode",
    "StoreBackend",
    "Want",
    "file_title",
    "license_for_player",
    "offer_for",
    "plan_items",
    "rank_licenses",
    "release_order",
]
