"""The demo catalog for tests: built into a data dir with its media cached across test sessions.

Generating the demo's media is the expensive part (tens of seconds); the cache is keyed by the recipe, so every
test session on a machine after the first one only publishes (a second or two). ``BUNDLECAST_TEST_CACHE`` moves
the cache (CI can keep it between runs).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from storefront.config import StoreConfig
from storefront.demo import DemoBuild, ensure_demo_catalog


def demo_media_cache() -> Path:
    """The shared media cache folder, created if missing: a fixture links a profile's ``cache/store`` to it, and a
    link to a folder that does not exist yet (a machine that never ran the suite) is a dangling link."""
    cache = Path(os.environ.get("BUNDLECAST_TEST_CACHE") or Path(tempfile.gettempdir()) / "bundlecast-test-cache")
    cache.mkdir(parents=True, exist_ok=True)
    return cache


def build_demo_store(data_dir: Path) -> tuple[StoreConfig, DemoBuild]:
    """A store data dir holding the demo catalog (demo mode on)."""
    config = StoreConfig.from_env(data_dir, demo=True, cache_dir=demo_media_cache())
    return config, ensure_demo_catalog(config, demo_media_cache())
