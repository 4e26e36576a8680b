"""How long the demo catalog takes to build: first launch (media generated), and with the media cached.

Runs in fresh temporary folders: generates every demo media file (2 worker processes), publishes the five
bundles (encryption, hybrid torrent hashing, catalog), then builds a second store from the cache. Prints a table
and, as its last line, one JSON object: media_s, publish_s, first_build_s, cached_build_s, media_mb, cpu_s.
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
from pathlib import Path

from storefront.config import StoreConfig
from storefront.demo import ensure_demo_catalog


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the encoding workers, once they have exited
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bundlecast-demo-bench-") as tmp:
        root = Path(tmp)
        cache = root / "cache"
        cpu0 = _cpu_seconds()
        started = time.perf_counter()
        first = ensure_demo_catalog(StoreConfig.from_env(root / "a" / "data"), cache)
        first_s = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu0
        started = time.perf_counter()
        cached = ensure_demo_catalog(StoreConfig.from_env(root / "b" / "data"), cache)
        cached_s = time.perf_counter() - started
        media_bytes = sum(p.stat().st_size for p in (cache / "demo-media").rglob("*") if p.is_file())
    assert not first.media_cached and cached.media_cached and len(cached.published) == 5
    rows = [
        ("generate media (2 workers)", first.media_seconds),
        ("publish 5 bundles", first_s - first.media_seconds),
        ("first build, total", first_s),
        ("second store, media cached", cached_s),
    ]
    print(f"demo catalog build on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for label, seconds in rows:
        print(f"  {label:30} {seconds:7.1f} s")
    print(f"  {'media generated':30} {media_bytes / 1e6:7.1f} MB, {cpu:.1f} CPU-s for the first build")
    print(
        json.dumps(
            {
                "media_s": round(first.media_seconds, 2),
                "publish_s": round(first_s - first.media_seconds, 2),
                "first_build_s": round(first_s, 2),
                "cached_build_s": round(cached_s, 2),
                "media_mb": round(media_bytes / 1e6, 1),
                "cpu_s": round(cpu, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
