"""The per-torrent seeding policy as pure logic: a torrent's own ratio/time limit overrides the global one, "no limit"
ignores it, "use the global limit" follows it; out-of-range values are refused with a sentence; the book's file
round-trips and an unreadable one is set aside."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.engine import EngineSettings, LimitChoice, SeedLimitBook, SeedLimitError, SeedLimits, UnknownTorrentError
from app.engine.seed_limits import SEED_LIMITS_FILE_NAME
from app.engine.seed_policy import effective_limits, over_seed_limit


@dataclass
class Seeding:
    is_seeding: bool = True
    paused: bool = False
    all_time_download: int = 1000
    all_time_upload: int = 0
    total_wanted_done: int = 1000
    seeding_duration: Any = field(default_factory=lambda: datetime.timedelta(minutes=1))


GLOBAL_TWO = EngineSettings(seed_ratio_limit=2.0, seed_time_limit_minutes=60)


def test_own_ratio_overrides_the_global_one_and_no_limit_ignores_it() -> None:
    own_half = SeedLimits(LimitChoice.OWN, 0.5)
    assert over_seed_limit(Seeding(all_time_upload=500), GLOBAL_TWO, own_half)
    assert not over_seed_limit(Seeding(all_time_upload=499), GLOBAL_TWO, own_half)
    assert over_seed_limit(Seeding(all_time_upload=2000), GLOBAL_TWO)  # follows the global 2.0
    no_limit = SeedLimits(LimitChoice.NONE, 0.0, LimitChoice.NONE)
    assert not over_seed_limit(
        Seeding(all_time_upload=10**9, seeding_duration=datetime.timedelta(days=400)), GLOBAL_TWO, no_limit
    )
    # An own ratio on a session without any global limit still stops the torrent.
    assert over_seed_limit(Seeding(all_time_upload=3000), EngineSettings(), SeedLimits(LimitChoice.OWN, 3.0))
    # A paused or still downloading torrent is never "over".
    assert not over_seed_limit(Seeding(all_time_upload=5000, paused=True), GLOBAL_TWO, own_half)
    assert not over_seed_limit(Seeding(all_time_upload=5000, is_seeding=False), GLOBAL_TWO, own_half)


def test_the_ratio_and_the_time_choices_are_independent() -> None:
    own_time = SeedLimits(LimitChoice.NONE, 0.0, LimitChoice.OWN, 5)
    assert effective_limits(own_time, GLOBAL_TWO) == (None, 5)
    assert effective_limits(SeedLimits(time_choice=LimitChoice.NONE), GLOBAL_TWO) == (2.0, None)
    assert effective_limits(SeedLimits(), EngineSettings()) == (None, None)
    assert not over_seed_limit(Seeding(seeding_duration=datetime.timedelta(minutes=4)), GLOBAL_TWO, own_time)
    assert over_seed_limit(Seeding(seeding_duration=datetime.timedelta(minutes=5)), GLOBAL_TWO, own_time)
    assert not over_seed_limit(Seeding(seeding_duration=datetime.timedelta(minutes=59)), GLOBAL_TWO)


def test_values_out_of_range_are_refused_and_the_book_round_trips(tmp_path: Path) -> None:
    known = {"aa", "bb"}
    book = SeedLimitBook(tmp_path, known.__contains__)
    with pytest.raises(SeedLimitError, match="share ratio limit must be between"):
        book.set("aa", SeedLimits(LimitChoice.OWN, -1.0))
    with pytest.raises(SeedLimitError, match="seeding time limit"):
        book.set("aa", SeedLimits(time_choice=LimitChoice.OWN, minutes=-3))
    with pytest.raises(UnknownTorrentError):
        book.set("zz", SeedLimits(LimitChoice.NONE))
    assert not (tmp_path / SEED_LIMITS_FILE_NAME).exists()  # nothing refused was written
    book.set("aa", SeedLimits(LimitChoice.OWN, 1.5, LimitChoice.NONE, 99))
    book.set("bb", SeedLimits(LimitChoice.NONE))
    again = SeedLimitBook(tmp_path, known.__contains__)
    again.load(["aa"])  # bb left the session meanwhile
    assert again.get("aa") == SeedLimits(LimitChoice.OWN, 1.5, LimitChoice.NONE, 0)
    assert again.get("bb") == SeedLimits()
    again.set("aa", SeedLimits())  # back to the global limits: no entry kept
    assert '"aa"' not in (tmp_path / SEED_LIMITS_FILE_NAME).read_text()


def test_an_unreadable_file_is_set_aside_and_the_book_starts_empty(tmp_path: Path) -> None:
    (tmp_path / SEED_LIMITS_FILE_NAME).write_text('{"version": 1, "torrents": {"aa": {"ratio": "sideways"}}}')
    book = SeedLimitBook(tmp_path, lambda _tid: True)
    book.load(["aa"])
    assert book.get("aa") == SeedLimits()
    assert not (tmp_path / SEED_LIMITS_FILE_NAME).exists()
    assert list(tmp_path.glob(f"{SEED_LIMITS_FILE_NAME}.corrupt-*"))
