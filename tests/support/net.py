"""Loopback addresses and ports for network tests.

Each test peer gets its own 127.x.y.z address (libtorrent bans a shared 127.0.0.1 once it connects to itself,
see FIELD-NOTES). Addresses are drawn at random from a wide part of 127.0.0.0/8 so concurrent test runs on one
machine rarely meet; ports come from the kernel (bind to 0).
"""

from __future__ import annotations

import random
import socket

_rng = random.Random()


def loopback_address() -> str:
    """A fresh loopback address, never 127.0.0.1."""
    return f"127.{_rng.randint(10, 250)}.{_rng.randint(0, 255)}.{_rng.randint(2, 254)}"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
