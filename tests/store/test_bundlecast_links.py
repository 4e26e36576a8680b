"""``bundlecast:`` links as the store's web pages write them and the app reads them."""

from __future__ import annotations

from app.store.links import BundleLink, parse_bundlecast_link, same_store
from storefront.web.links import open_in_app_url


def test_the_app_reads_what_the_store_writes() -> None:
    url = open_in_app_url("http://127.0.0.1:8750", "paid-bundle-1a2b3c")
    assert parse_bundlecast_link(url) == BundleLink("paid-bundle-1a2b3c", "http://127.0.0.1:8750")
    assert same_store("https://Store.Example/", "https://store.example")


def test_other_arguments_and_bad_links_are_not_bundle_links() -> None:
    for text in (
        "magnet:?xt=urn:btih:" + "0" * 40,
        "/tmp/x.torrent",
        "bundlecast://open/?store=http%3A%2F%2F127.0.0.1",  # no bundle
        "bundlecast://open/a%2Fb?store=http%3A%2F%2F127.0.0.1",  # a path, not an id
        "bundlecast://open/x?store=javascript%3Aalert(1)",  # not a store URL
        "bundlecast://delete/x?store=http%3A%2F%2F127.0.0.1",
    ):
        assert parse_bundlecast_link(text) is None, text
