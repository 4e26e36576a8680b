"""Links from the web to the app and to other BitTorrent clients.

``open_in_app_url`` is the ``bundlecast:`` link a bundle's page offers (``bundlecast://open/<bundle id>?store=<the
store's public URL>``); the desktop entry registers Bundlecast for ``x-scheme-handler/bundlecast`` and the app
reads the same form (``app.store.links``). ``CLIENTS`` says which common clients can use the store's hybrid
v1+v2 torrents with pad files (BEP 47) — shown on every bundle's page. Pure data; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


def open_in_app_url(store_url: str, bundle_id: str) -> str:
    return f"bundlecast://open/{quote(bundle_id, safe='')}?store={quote(store_url, safe='')}"


@dataclass(frozen=True, slots=True)
class ClientSupport:
    name: str
    works: bool
    note: str


# Free bundles get no separate v1-only torrent: the hybrid's v1 half is what v1 clients read, the web seed serves
# a free bundle's files over plain HTTP to anything that cannot, and one torrent per bundle keeps one swarm.
CLIENTS: tuple[ClientSupport, ...] = (
    ClientSupport("Bundlecast", True, "opens paid, e-mail and campaign bundles too, and plays them as they come"),
    # tests/storefront/test_foreign_client.py: Debian 12's qbittorrent-nox 4.5.2 downloads a free bundle
    ClientSupport("qBittorrent 4.4+ (libtorrent 2)", True, "reads hybrid torrents; free bundles only"),
    ClientSupport("Deluge 2.1+ (libtorrent 2)", True, "reads hybrid torrents; free bundles only"),
    ClientSupport("Transmission 4.0+", True, "reads hybrid torrents; free bundles only"),
    ClientSupport("Transmission before 4.0 (Debian 12 has 3.00)", False, "cannot read torrents with pad files"),
    # checked by hand with Debian 12's aria2 1.36.0: the download ends in an error on the pad files
    ClientSupport("aria2 1.36", False, "fails on the torrent's pad files, and its info-hash is not the store's"),
)
