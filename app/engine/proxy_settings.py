"""The SOCKS5 proxy part of the settings pack: peers and trackers both go through the proxy when one is set.

Host names are resolved by the proxy too (``proxy_hostnames``), so a tracker's name never leaks to the local
resolver; libtorrent is told not to fall back to direct connections for peers (``proxy_peer_connections``).
Without a host, the proxy is off. Pure function, any thread.
"""

from __future__ import annotations

from typing import Any

import libtorrent as lt

from app.engine.settings import EngineSettings


def proxy_pack(settings: EngineSettings) -> dict[str, Any]:
    if not settings.proxy_host:
        return {"proxy_type": int(lt.proxy_type_t.none)}
    return {
        "proxy_type": int(lt.proxy_type_t.socks5),
        "proxy_hostname": settings.proxy_host,
        "proxy_port": settings.proxy_port,
        "proxy_hostnames": True,
        "proxy_peer_connections": True,
        "proxy_tracker_connections": True,
    }
