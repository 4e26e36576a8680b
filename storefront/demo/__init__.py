"""The demo catalog: media generated here (PyAV, no downloads), covers, and five published bundles.

``ensure_demo_catalog(config)`` builds it into a store's data dir (idempotent, media cached);
``main(argv)`` is ``python -m storefront demo --data-dir DIR [--cache-dir DIR]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from storefront.config import StoreConfig
from storefront.demo.build import DemoBuild, ensure_demo_catalog
from storefront.errors import StoreError

__all__ = ["DemoBuild", "ensure_demo_catalog", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Build the demo catalog and print what was published and how long it took."""
    parser = argparse.ArgumentParser(prog="python -m storefront demo", description="Build the demo catalog.")
    parser.add_argument("--data-dir", type=Path, default=Path("store-data"), help="the store's data folder")
    parser.add_argument("--cache-dir", type=Path, help="where generated media are cached (default: data/../cache)")
    args = parser.parse_args(argv)
    config = StoreConfig.from_env(args.data_dir, cache_dir=args.cache_dir)
    try:
        build = ensure_demo_catalog(config, args.cache_dir)
    except StoreError as exc:
        print(f"demo build failed: {exc.message}", file=sys.stderr)
        return 2
    for bundle_id in build.bundle_ids:
        state = "published" if bundle_id in build.published else "already there"
        print(f"{bundle_id:28} {state}")
    media = "from cache" if build.media_cached else f"generated in {build.media_seconds:.1f} s"
    print(f"media {media}; total {build.total_seconds:.1f} s")
    return 0
