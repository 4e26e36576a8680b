"""What the catalog remembers about broad queries (``storefront.catalog_counts.BroadCounts``), on a stand-in clock:
"more than the bound" is trusted for its time to live and then counted again; the memory stays bounded."""

from __future__ import annotations

from storefront.catalog_counts import MAX_QUERIES, BroadCounts


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_broad_query_is_trusted_for_its_time_to_live_then_counted_again() -> None:
    clock = Clock()
    counts = BroadCounts(ttl_s=30.0, clock=clock)
    query = ("db", None, "amber", 1000)
    assert not counts.known_broad(query)
    counts.remember_broad(query)
    clock.now += 29.9
    assert counts.known_broad(query)
    assert not counts.known_broad(("db", None, "amber", 1056))  # another bound is another query
    clock.now += 0.2
    assert not counts.known_broad(query)  # expired: the next request counts again


def test_the_memory_stays_bounded_and_keeps_the_newest() -> None:
    clock = Clock()
    counts = BroadCounts(ttl_s=30.0, clock=clock)
    for i in range(MAX_QUERIES + 10):
        clock.now += 0.001
        counts.remember_broad(i)
    assert counts.known_broad(MAX_QUERIES + 9)
    assert not counts.known_broad(0)
    assert len(counts) <= MAX_QUERIES
