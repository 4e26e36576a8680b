"""The settings catalogue: defaults, atomic JSON persistence, version migrations, repairs of bad files."""

from __future__ import annotations

import json
from pathlib import Path

from app.engine.settings import EngineSettings
from app.settings import SETTINGS_VERSION, AppSettings, SettingsStore, migrate


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert SettingsStore(tmp_path).load() == AppSettings()


def test_saved_settings_come_back_with_a_version_number(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    changed = AppSettings(download_rate_limit_kib=512, close_to_tray=False, store_url="http://127.0.0.1:9")
    store.save(changed)
    assert store.load() == changed
    raw = json.loads(store.path.read_text())
    assert raw["version"] == SETTINGS_VERSION
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]  # no temp file left behind


def test_version_1_file_is_migrated(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(
        json.dumps({"version": 1, "download_limit": 2 * 1024 * 1024, "minimize_to_tray": False, "listen_port": 7000})
    )
    loaded = SettingsStore(tmp_path).load()
    assert loaded.download_rate_limit_kib == 2048
    assert loaded.close_to_tray is False
    assert loaded.listen_port == 7000


def test_unversioned_dict_counts_as_version_1() -> None:
    assert migrate({"upload_limit": 4096}) == {"upload_rate_limit_kib": 4}


def test_bad_values_and_unknown_keys_fall_back_to_defaults(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(
        json.dumps(
            {
                "version": SETTINGS_VERSION,
                "listen_port": "six",
                "close_to_tray": 1,
                "nonsense": 3,
                "seed_ratio_limit": 2,
            }
        )
    )
    loaded = SettingsStore(tmp_path).load()
    assert loaded.listen_port == AppSettings().listen_port
    assert loaded.close_to_tray is AppSettings().close_to_tray
    assert loaded.seed_ratio_limit == 2.0


def test_corrupt_file_starts_with_defaults(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text("{ not json")
    assert SettingsStore(tmp_path).load() == AppSettings()


def test_engine_settings_follow_the_user_limits_and_keep_test_interfaces() -> None:
    user = AppSettings(download_rate_limit_kib=100, upload_rate_limit_kib=50, seed_ratio_limit=1.5, listen_port=7001)
    mapped = user.engine_settings(EngineSettings())
    assert mapped.download_rate_limit == 100 * 1024
    assert mapped.upload_rate_limit == 50 * 1024
    assert mapped.seed_ratio_limit == 1.5
    assert mapped.seed_time_limit_minutes is None
    assert mapped.listen_interfaces == "0.0.0.0:7001,[::]:7001"
    loopback = user.engine_settings(EngineSettings.for_loopback_tests("127.0.0.9"))
    assert loopback.listen_interfaces == "127.0.0.9:0"


def test_a_version_2_file_from_before_the_player_setting_slows_other_downloads_by_default(tmp_path: Path) -> None:
    # No version bump: a file without the new keys simply gets their defaults (on, at a modest rate).
    (tmp_path / "settings.json").write_text(json.dumps({"version": 2, "listen_port": 7000}))
    loaded = SettingsStore(tmp_path).load()
    assert loaded.slow_others_while_watching is True
    assert loaded.watching_throttle_bytes() == loaded.slow_others_rate_kib * 1024 > 0
    assert loaded.replace(slow_others_while_watching=False).watching_throttle_bytes() == 0


def test_a_negative_live_upload_cap_falls_back_to_the_default(tmp_path: Path) -> None:
    for value, expected in ((-1, 3000), ("fast", 3000), (0, 0), (800, 800)):
        (tmp_path / "settings.json").write_text(json.dumps({"version": SETTINGS_VERSION, "live_upload_kbps": value}))
        assert SettingsStore(tmp_path).load().live_upload_kbps == expected
    assert AppSettings(live_upload_kbps=0).live_upload_bps() is None
    assert AppSettings().live_upload_bps() == 3_000_000
