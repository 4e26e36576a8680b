"""The store's BEP 19 web seed: every bundle's content served over HTTP with Range, under ``/seed/<bundle_id>/``.

A bundle's torrent is multi-file with top folder ``<name>``, and its ``url-list`` entry is
``<base>/seed/<bundle_id>/`` (ending in ``/``); libtorrent appends ``<name>/<path>`` and asks for byte ranges of
the files, so a bundle downloads even when no peer is online. The content folder holds exactly what the torrent
holds - ciphertext for locked files - so nothing served here is ever plaintext of a paid file.

Starlette's `StaticFiles` answers Range requests (206, 416 past the end) and refuses paths that leave the folder
or follow symlinks out of it (FIELD-NOTES: libtorrent downloads from it byte-identical). Requests are served on
the event loop with the file read in Starlette's thread pool.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from storefront.config import StoreConfig

WEB_SEED_PREFIX = "/seed"


def mount_web_seed(app: FastAPI, config: StoreConfig) -> None:
    """Serve ``config.content_root`` at ``/seed`` (GET and HEAD, with Range)."""
    config.content_root.mkdir(parents=True, exist_ok=True)
    # html=False: no index pages, no directory listings - a web seed serves files only.
    app.mount(WEB_SEED_PREFIX, StaticFiles(directory=config.content_root, html=False), name="web_seed")
