"""``bundlecast:`` links: what a store's web page hands the app (*Open in Bundlecast*).

The form is ``bundlecast://open/<bundle id>?store=<the store's public URL>`` (``storefront.web.links`` makes it).
``parse_bundlecast_link`` reads one from a launch argument (the desktop entry registers the app for
``x-scheme-handler/bundlecast``, so the browser's ``xdg-open`` starts the app with the link, or a running app gets
it through the single-instance hand-over). ``same_store`` compares store URLs the way the app stores them.
Pure; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

SCHEME = "bundlecast"


@dataclass(frozen=True, slots=True)
class BundleLink:
    bundle_id: str
    store_url: str


def parse_bundlecast_link(text: str) -> BundleLink | None:
    parts = urlsplit(text.strip())
    if parts.scheme.lower() != SCHEME or parts.netloc.lower() != "open":
        return None
    bundle_id = unquote(parts.path.strip("/"))
    store = parse_qs(parts.query).get("store", [""])[0]
    if not bundle_id or "/" in bundle_id or len(bundle_id) > 200 or not store.startswith(("http://", "https://")):
        return None
    return BundleLink(bundle_id, store.rstrip("/"))


def same_store(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()
