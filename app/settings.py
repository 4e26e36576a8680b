"""The app's settings catalogue: every user setting declared once (name, type, default), stored as JSON.

``AppSettings`` is the catalogue — a frozen dataclass whose fields are the settings, with their types and
defaults. ``SettingsStore`` loads and saves it atomically (temp file, fsync, rename) as
``settings.json`` in the config folder, with a ``version`` number; older files are brought forward by the
functions in ``MIGRATIONS`` (one per version step, each tested). Unknown keys are dropped, values of the
wrong type fall back to their default with a log line — a hand-edited file never stops the app from
starting. Window geometry is not a setting: the UI keeps it apart (QSettings).

No Qt, no threads of its own: called from the main thread at start and when the user saves the Settings page.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.atomic_write import write_atomically
from app.automation.speed_schedule import SpeedSchedule, parse_clock
from app.engine.settings import EncryptionPolicy, EngineSettings, SeedLimitAction

log = logging.getLogger(__name__)

SETTINGS_VERSION = 2
SETTINGS_FILE_NAME = "settings.json"
_ENCRYPTION = {policy.value: policy for policy in EncryptionPolicy}
_MINIMUMS = {"live_upload_kbps": 0}  # a value below its minimum is repaired to the default, like a wrong type


class SettingsError(Exception):
    """The settings could not be saved; the message says where and why."""


@dataclass(frozen=True, slots=True)
class AppSettings:
    """Every user setting with its type and default. Rates are KiB/s, 0 = unlimited."""

    download_dir: str = ""  # "" = the platform's downloads folder / Bundlecast
    download_rate_limit_kib: int = 0
    upload_rate_limit_kib: int = 0
    listen_port: int = 6881
    seed_ratio_limit: float = 0.0  # 0 = seed for ever
    seed_time_limit_minutes: int = 0  # 0 = no time limit
    start_minimized: bool = False
    close_to_tray: bool = True
    store_url: str = ""  # "" = start the embedded demo store
    tray_hint_shown: bool = False  # "Bundlecast keeps seeding in the tray" is told once
    # While the player plays, other torrents download at most this fast, so the stream keeps the link.
    # 512 KiB/s leaves a 720p stream (~2.5 Mbit/s) headroom on a modest line; 0 in the rate turns it off too.
    slow_others_while_watching: bool = True
    slow_others_rate_kib: int = 512
    # Transfers (issue 12): ask where and how before adding a torrent or magnet (qBittorrent's add dialog).
    show_add_dialog: bool = True
    # Issue 10: a new release (an episode) of a bundle the fan owns or backed starts downloading by itself.
    auto_download_releases: bool = True
    # Queueing: how many torrents download, seed, and run at all at once.
    active_downloads: int = 5
    active_seeds: int = 10
    active_torrents: int = 500
    # Alternative rate limits (KiB/s, 0 = unlimited), on by hand or by the schedule (days: bit 0 = Monday).
    alt_download_rate_limit_kib: int = 0
    alt_upload_rate_limit_kib: int = 0
    alt_speed_on: bool = False
    alt_schedule_enabled: bool = False
    alt_schedule_from: str = "08:00"
    alt_schedule_to: str = "20:00"
    alt_schedule_days: int = 0b1111111
    no_upload_on_metered: bool = True  # stop uploading while the system says the connection is metered
    # Issue 9: while the fan watches a live broadcast the app passes it on to other viewers at most this fast
    # (kbit/s, 0 = no cap). 3000 kbit/s is twice a typical 1.5 Mbit/s stream: enough to feed a couple of viewers.
    live_upload_kbps: int = 3000
    encryption: str = "enabled"  # "enabled" (prefer), "forced", "disabled"
    connections_limit: int = 400
    proxy_host: str = ""  # SOCKS5 for peers and trackers; "" = none
    proxy_port: int = 1080
    proxy_username: str = ""  # "" = the proxy asks for no login; the password lives in the keyring (app.store)
    blocklist_path: str = ""  # an eMule .dat or P2P list; "" = none
    watched_folder: str = ""  # .torrent files dropped here are added; "" = none
    watched_folder_delete: bool = False  # False: move an added file to "added/", True: delete it

    def replace(self, **changes: Any) -> AppSettings:
        """A copy with some settings changed."""
        return dataclasses.replace(self, **changes)

    def download_path(self, default: Path) -> Path:
        """The folder new downloads go to."""
        return Path(self.download_dir).expanduser() if self.download_dir else default

    def live_upload_bps(self) -> float | None:
        """The live viewer's upload cap in bit/s, None for no cap (``app.live``'s ``NodeConfig.upload_bps``)."""
        return self.live_upload_kbps * 1000 if self.live_upload_kbps > 0 else None

    def watching_throttle_bytes(self) -> int:
        """The download limit (bytes/s) other torrents get while the player plays; 0 = leave them alone."""
        return self.slow_others_rate_kib * 1024 if self.slow_others_while_watching else 0

    def speed_schedule(self) -> SpeedSchedule:
        """When the alternative limits apply by schedule (a broken time reads as the default one)."""
        try:
            start, end = parse_clock(self.alt_schedule_from), parse_clock(self.alt_schedule_to)
        except ValueError:
            start, end = SpeedSchedule().start, SpeedSchedule().end
        days = frozenset(day for day in range(7) if self.alt_schedule_days >> day & 1)
        return SpeedSchedule(self.alt_schedule_enabled, start, end, days)

    def engine_settings(self, base: EngineSettings, *, alternative: bool = False) -> EngineSettings:
        """``base`` (network layout, discovery switches) with the user's limits, port, queue, network options and
        seeding policy; ``alternative`` takes the alternative rate limits."""
        listen = base.listen_interfaces
        if base.listen_interfaces == EngineSettings().listen_interfaces:
            # Only the default layout follows the port setting; tests pass their own loopback interfaces.
            listen = f"0.0.0.0:{self.listen_port},[::]:{self.listen_port}"
        return dataclasses.replace(
            base,
            listen_interfaces=listen,
            download_rate_limit=(self.alt_download_rate_limit_kib if alternative else self.download_rate_limit_kib)
            * 1024,
            upload_rate_limit=(self.alt_upload_rate_limit_kib if alternative else self.upload_rate_limit_kib) * 1024,
            active_downloads=self.active_downloads,
            active_seeds=self.active_seeds,
            active_limit=self.active_torrents,
            encryption=_ENCRYPTION.get(self.encryption, EncryptionPolicy.ENABLED),
            connections_limit=max(2, self.connections_limit),
            proxy_host=self.proxy_host.strip(),
            proxy_port=self.proxy_port,
            proxy_username=self.proxy_username.strip(),
            seed_ratio_limit=self.seed_ratio_limit or None,
            seed_time_limit_minutes=self.seed_time_limit_minutes or None,
            seed_limit_action=SeedLimitAction.PAUSE,
        )


def _from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 (the prototype) kept limits in bytes/s and called close-to-tray ``minimize_to_tray``."""
    out = dict(data)
    for old, new in (("download_limit", "download_rate_limit_kib"), ("upload_limit", "upload_rate_limit_kib")):
        if old in out:
            out[new] = int(out.pop(old) or 0) // 1024
    if "minimize_to_tray" in out:
        out["close_to_tray"] = bool(out.pop("minimize_to_tray"))
    return out


# MIGRATIONS[n] turns a version-n dict into a version-(n+1) dict.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_v1}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a stored settings dict forward to ``SETTINGS_VERSION`` (unversioned files count as version 1)."""
    version = data.get("version", 1)
    if not isinstance(version, int) or version < 1:
        version = 1
    values = {k: v for k, v in data.items() if k != "version"}
    while version < SETTINGS_VERSION:
        values = MIGRATIONS[version](values)
        version += 1
    return values


def _coerce(name: str, expected: type, value: Any, default: Any) -> Any:
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    usable = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if usable and (name not in _MINIMUMS or value >= _MINIMUMS[name]):
        return value
    log.warning("Setting %s has an unusable value %r; using the default %r", name, value, default)
    return default


def settings_from_dict(values: dict[str, Any]) -> AppSettings:
    """Build settings from a current-version dict, ignoring unknown keys and repairing bad values."""
    defaults = AppSettings()
    types = {"str": str, "int": int, "float": float, "bool": bool}
    kwargs: dict[str, Any] = {}
    for field in dataclasses.fields(AppSettings):
        if field.name in values:
            default = getattr(defaults, field.name)
            kwargs[field.name] = _coerce(field.name, types[str(field.type)], values[field.name], default)
    return AppSettings(**kwargs)


class SettingsStore:
    """Loads and atomically saves ``AppSettings`` in one config folder."""

    def __init__(self, config_dir: Path) -> None:
        self._path = config_dir / SETTINGS_FILE_NAME

    @property
    def path(self) -> Path:
        return self._path

    def load(self) -> AppSettings:
        """The saved settings, migrated; defaults when there is no file or it cannot be read."""
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return AppSettings()
        except (OSError, ValueError) as exc:
            log.warning("Settings file %s is unreadable (%s); starting with defaults", self._path, exc)
            return AppSettings()
        if not isinstance(raw, dict):
            log.warning("Settings file %s holds no settings; starting with defaults", self._path)
            return AppSettings()
        return settings_from_dict(migrate(raw))

    def save(self, settings: AppSettings) -> None:
        """Write the settings atomically (``app.atomic_write``: temp file, fsync, rename, fsync of the folder)."""
        payload = {"version": SETTINGS_VERSION, **dataclasses.asdict(settings)}
        try:
            write_atomically(self._path, json.dumps(payload, indent=2, sort_keys=True))
        except OSError as exc:
            raise SettingsError(f"Could not save the settings to {self._path}: {exc.strerror or exc}") from exc
