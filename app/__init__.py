"""Bundlecast desktop client: a BitTorrent client with a store inside."""

__version__ = "0.1.0"
