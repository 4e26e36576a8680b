"""Remembering, for a short while, that a catalog query has more matches than its count bound.

The catalog counts matches only up to a bound (``storefront.api.catalog``); a broad query — the whole catalog, a
common word — reaches it on every request, and counting to the bound still reads a thousand rows or more. What such
a count says ("more than 1,000") barely changes from one second to the next, so it is kept for ``ttl_s`` seconds per
query and bound. Exact counts (fewer matches than the bound) are never kept: a bundle published or removed shows in
them at once. Shared by the worker threads of one process (a lock); each worker process keeps its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

BROAD_TTL_S = 30.0
MAX_QUERIES = 4096  # distinct (query, bound) pairs kept; past that the oldest half is dropped


class BroadCounts:
    def __init__(self, ttl_s: float = BROAD_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._until: dict[Hashable, float] = {}  # query -> when its "more than the bound" stops being trusted
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._until)

    def known_broad(self, query: Hashable) -> bool:
        """True while ``query`` was seen to exceed its bound less than ``ttl_s`` seconds ago."""
        with self._lock:
            until = self._until.get(query)
            if until is None:
                return False
            if self._clock() < until:
                return True
            del self._until[query]
            return False

    def remember_broad(self, query: Hashable) -> None:
        with self._lock:
            if len(self._until) >= MAX_QUERIES:
                oldest = sorted(self._until, key=self._until.__getitem__)[: MAX_QUERIES // 2]
                for key in oldest:
                    del self._until[key]
            self._until[query] = self._clock() + self._ttl_s
