"""RateMeter: rates from byte counters over a one-second window (fake clock; the real swarm is in
tests/integration/test_engine_rates.py)."""

from __future__ import annotations

from app.engine.rates import RATE_WINDOW_S, RateMeter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_steady_transfer_reads_its_true_rate_after_one_sample() -> None:
    clock = Clock()
    meter = RateMeter(clock)
    assert meter.measure("t", 0, 0) is None  # no window yet: the caller shows libtorrent's own figure
    for second in range(1, 4):
        clock.now += 0.2
        rates = meter.measure("t", second * 200_000, second * 50_000)
        assert rates == (1_000_000, 250_000)


def test_the_rate_drops_to_zero_one_window_after_the_bytes_stop() -> None:
    clock = Clock()
    meter = RateMeter(clock)
    total = 0
    for _ in range(10):
        clock.now += 0.2
        total += 200_000
        meter.measure("t", total, 0)
    clock.now += RATE_WINDOW_S + 0.01
    assert meter.measure("t", total, 0) == (0, 0)


def test_counters_that_restart_after_a_pause_never_read_negative() -> None:
    clock = Clock()
    meter = RateMeter(clock)
    meter.measure("t", 5_000_000, 0)
    clock.now += 0.2
    assert meter.measure("t", 0, 0) is None
    clock.now += 0.2
    assert meter.measure("t", 100_000, 0) == (500_000, 0)
