"""The library's pure choices: files in release order with titles, the one license choice the player and export
share, and a bundle's progress as the shelf shows it — Continue watching, Up next, New episode."""

from __future__ import annotations

from pathlib import Path

from app.bundle import BundleKind, Gate, GateType, Grant, License, Manifest, ManifestFile, Release
from app.library import LibraryIndex, LibraryRecord, license_for_player, rank_licenses, release_order
from app.library.licenses import key_for
from app.library.shelf import ShelfBook, shelf_bundle
from app.player.resume import ResumePositions

KEY = bytes(range(32))
NONCE = "00" * 16


def _series() -> Manifest:
    files = (
        ManifestFile("episodes/episode-10.mp4", 100, "video/mp4", True, nonce=NONCE, duration_s=20, release="s1b"),
        ManifestFile("episodes/episode-02.mp4", 100, "video/mp4", True, nonce=NONCE, duration_s=20),
        ManifestFile("cover.png", 10, "image/png", False),
        ManifestFile("episodes/episode-01.mp4", 100, "video/mp4", True, nonce=NONCE, duration_s=20),
        ManifestFile("pilot.mp4", 100, "video/mp4", False, duration_s=120),
        ManifestFile("making-of.epub", 10, "application/epub+zip", True, nonce=NONCE),
    )
    return Manifest(bundle_id="show", store_id="s", title="Show", creator="C", kind=BundleKind.SERIES,
                    description="", gate=Gate(GateType.CAMPAIGN, price_cents=995), files=files,
                    info_hash_v1="ab" * 20, info_hash_v2=None,
                    releases=(Release("s1b", "Late episodes", 2_000_000_000),))


def test_files_come_in_release_order_the_free_pilot_first_and_numbers_read_as_numbers() -> None:
    assert [f.path for f in release_order(_series())] == [
        "cover.png", "pilot.mp4", "episodes/episode-01.mp4", "episodes/episode-02.mp4", "making-of.epub",
        "episodes/episode-10.mp4",  # released later
    ]


def test_the_player_and_export_make_the_same_license_choice() -> None:
    manifest = _series()
    two_files = License("l1", "s", "a", "show", Grant.for_files(KEY, ["episodes/episode-01.mp4",
                                                                      "episodes/episode-02.mp4"]), 200)
    season = License("l2", "s", "a", "show", Grant.whole_bundle(KEY), 100)
    other = License("l3", "s", "a", "other", Grant.whole_bundle(KEY), 300)
    ranked = rank_licenses(manifest, [two_files, other, season])
    assert ranked == (season, two_files)  # the season pass opens every locked file, later ones too
    assert license_for_player(manifest, [two_files, other, season]) is season
    assert key_for("episodes/episode-10.mp4", ranked) is not None
    assert license_for_player(manifest, [other]) is None


def test_the_shelf_shows_progress_continue_up_next_and_a_new_episode(tmp_path: Path) -> None:
    manifest = _series()
    watch = ResumePositions(tmp_path / "positions.json")
    watch.remember("show/pilot.mp4", 119.5, duration_s=120)  # watched to the end
    watch.remember("show/episodes/episode-01.mp4", 12.0, duration_s=20)  # left a minute in … well, 12 s
    season = License("l2", "s", "a", "show", Grant.whole_bundle(KEY), 100)
    record = LibraryRecord("show", "Show", "series", "ab" * 20, "/dl", "{}", "sig", backed=True)
    bundle = shelf_bundle("show", record, manifest, season, ResumePositions(watch._path).snapshot(),
                          title="Show", owned=True)
    assert [e.title for e in bundle.episodes] == ["Pilot", "Episode 01", "Episode 02", "Late episodes"]
    assert bundle.other_files == ()  # the cover is not a file a fan opens
    assert bundle.books == (ShelfBook("making-of.epub", "Making of", readable=True),)  # it opens in a reader
    assert bundle.first_readable_book == bundle.books[0]
    pilot, first = bundle.episodes[0], bundle.episodes[1]
    assert pilot.watched and pilot.progress == 1.0
    assert first.started and first.progress == 0.6
    assert bundle.continue_episode == first
    assert bundle.up_next is not None and bundle.up_next.title == "Episode 01"  # after the last watched
    assert bundle.backed
    assert bundle.new_episode  # episode 10 came in a newer release than anything the fan watched
    fresh = shelf_bundle("show", record, manifest, season, ResumePositions(tmp_path / "none.json").snapshot(),
                         title="Show", owned=True)
    assert not fresh.new_episode and fresh.continue_episode is None  # nothing watched: nothing is "new"
    watch.remember("show/episodes/episode-10.mp4", 20, duration_s=20)
    caught_up = shelf_bundle("show", record, manifest, season, watch.snapshot(), title="Show", owned=True)
    assert not caught_up.new_episode and caught_up.up_next is None


def test_without_a_license_the_locked_episodes_are_shown_but_not_playable(tmp_path: Path) -> None:
    bundle = shelf_bundle("show", None, _series(), None, ResumePositions(tmp_path / "p.json").snapshot(),
                          title="Show", owned=False)
    assert [e.playable for e in bundle.episodes] == [True, False, False, False]
    assert bundle.up_next is not None and bundle.up_next.title == "Pilot"


def test_the_index_keeps_backed_and_first_added_across_updates(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "library.json")
    index.put(LibraryRecord("show", "Show", "series", "t", "/dl", "{}", "sig", backed=True, added_at=10.0))
    index.put(LibraryRecord("show", "Show", "series", "t", "/dl", "{}", "sig2", added_at=99.0))
    again = LibraryIndex(tmp_path / "library.json").get("show")
    assert again is not None and again.backed and again.added_at == 10.0 and again.manifest_signature == "sig2"
