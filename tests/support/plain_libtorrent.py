"""Settings for a plain libtorrent session in a test: one loopback address, every discovery service off.

Tests that must show something works with *any* BitTorrent client (not only our engine) run libtorrent directly.
FIELD-NOTES: each peer needs its own 127.x address (a shared 127.0.0.1 gets banned), and uTP between loopback
addresses times out before TCP is tried.
"""

from __future__ import annotations

from typing import Any, cast

import libtorrent as lt


def loopback_session_settings(address: str, **extra: Any) -> lt.settings_pack:
    """A settings pack for ``lt.session`` bound to ``address`` (any free port); ``extra`` adds or overrides keys."""
    pack: dict[str, Any] = {
        "listen_interfaces": f"{address}:0",
        "outgoing_interfaces": address,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
    }
    pack.update(extra)
    return cast("lt.settings_pack", pack)
