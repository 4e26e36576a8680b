"""One typed settings object for the engine; the engine maps it onto libtorrent's settings pack.

Rates are bytes per second; 0 means unlimited. Tests turn DHT, LSD, UPnP, NAT-PMP and uTP off and give each
peer its own loopback address through ``listen_interfaces`` (see FIELD-NOTES).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class EncryptionPolicy(enum.Enum):
    ENABLED = "enabled"  # prefer encrypted connections, accept plain ones
    FORCED = "forced"
    DISABLED = "disabled"


class SeedLimitAction(enum.Enum):
    PAUSE = "pause"
    REMOVE = "remove"


@dataclass(frozen=True, slots=True)
class EngineSettings:
    listen_interfaces: str = "0.0.0.0:6881,[::]:6881"
    outgoing_interfaces: str = ""
    enable_dht: bool = True
    enable_lsd: bool = True
    enable_upnp: bool = True
    enable_natpmp: bool = True
    enable_tcp: bool = True
    enable_utp: bool = True
    encryption: EncryptionPolicy = EncryptionPolicy.ENABLED
    connections_limit: int = 400
    download_rate_limit: int = 0
    upload_rate_limit: int = 0
    active_downloads: int = 5
    active_seeds: int = 10
    active_limit: int = 500
    seed_ratio_limit: float | None = None  # e.g. 2.0
    seed_time_limit_minutes: int | None = None
    seed_limit_action: SeedLimitAction = SeedLimitAction.PAUSE
    user_agent: str = "Bundlecast/0.1"
    # Allow several peers on one IP (needed only for tests where every peer is loopback).
    allow_multiple_connections_per_ip: bool = False
    # How often the engine publishes StatsUpdated, in milliseconds.
    stats_interval_ms: int = 1000
    # SOCKS5 proxy for peers and trackers ("" = none); see proxy_settings.
    proxy_host: str = ""
    proxy_port: int = 1080
    proxy_username: str = ""  # "" = no authentication; the password is never a setting (Engine.set_proxy_password)

    @classmethod
    def for_loopback_tests(cls, address: str, port: int = 0) -> EngineSettings:
        """Settings for a test peer bound to one loopback address, with every discovery service off."""
        return cls(
            listen_interfaces=f"{address}:{port}",
            outgoing_interfaces=address,
            enable_dht=False,
            enable_lsd=False,
            enable_upnp=False,
            enable_natpmp=False,
            enable_utp=False,
            allow_multiple_connections_per_ip=True,
            stats_interval_ms=200,
        )
