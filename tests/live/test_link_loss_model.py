"""Unit tests of ``app.live.link``: the emulated link's loss model — a lost TCP segment costs a round trip when
enough segments follow it on the connection to bring three duplicate ACKs (within its message, or because the
connection sends more right after: a block's next parts), and a timeout plus a round trip only when nothing does —
and the uplink's second lane, where the origin's HTTP answers wait behind the pushes until their deadline."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from app.live.link import FOLLOW_GAP_S, MIN_RTO_S, SEGMENT, DelayLine, LinkProfile, Uplink

DELAY = 0.04
RTT = 2 * DELAY
ALWAYS_LOST = LinkProfile(delay_s=DELAY, loss=1.0)  # every segment lost: each one's cost is visible


def test_a_lone_message_pays_a_timeout_for_each_of_its_last_three_segments() -> None:
    cost = ALWAYS_LOST.extra_delay(10 * SEGMENT, random.Random(1))
    assert cost == pytest.approx(7 * RTT + 3 * (MIN_RTO_S + RTT))


def test_a_message_the_connection_follows_at_once_pays_no_timeout() -> None:
    cost = ALWAYS_LOST.extra_delay(10 * SEGMENT, random.Random(1), followed=True)
    assert cost == pytest.approx(7 * RTT + 3 * (RTT + FOLLOW_GAP_S))


def test_without_loss_nothing_is_added_and_order_is_kept() -> None:
    line = DelayLine(LinkProfile(delay_s=DELAY), random.Random(1))
    first = line.arrival_time(SEGMENT, departs=10.0)
    assert first == pytest.approx(10.0 + DELAY)
    lossy = DelayLine(ALWAYS_LOST, random.Random(1))
    slow = lossy.arrival_time(SEGMENT, departs=10.0)
    quick_after = lossy.arrival_time(SEGMENT, departs=10.001, followed=True)
    assert slow is not None and quick_after is not None and quick_after >= slow, "TCP delivers in order"


def test_at_one_percent_a_followed_part_is_rarely_held_for_a_timeout() -> None:
    """8 KB parts at 1 % loss: alone, 3 % of them wait out a timeout (their last three segments); followed, only
    the rare part with two losses adds as much (two fast retransmits)."""
    link = LinkProfile(delay_s=DELAY, loss=0.01)
    rng = random.Random(7)
    alone = [link.extra_delay(8 * 1024, rng) or 0.0 for _ in range(20_000)]
    followed = [link.extra_delay(8 * 1024, rng, followed=True) or 0.0 for _ in range(20_000)]
    assert 0.02 < sum(c >= MIN_RTO_S for c in alone) / len(alone) < 0.04
    assert sum(c >= MIN_RTO_S for c in followed) / len(followed) < 0.005


def test_an_answer_waiting_for_the_second_lane_gives_up_at_its_deadline() -> None:
    """The origin's HTTP answers take turns on the uplink's second lane behind the pushes. One that waits without a
    deadline holds the lane; one behind it with a deadline must still give up at its deadline, not wait forever."""

    async def scenario() -> tuple[bool, float]:
        uplink = Uplink(3_000_000)
        await uplink.turn.acquire()  # pushes pending the whole time: the lane's holder never gets its turn
        holder = asyncio.create_task(uplink.transmit_when_idle(100))
        await asyncio.sleep(0.05)
        started = time.time()
        async with asyncio.timeout(5):
            sent = await uplink.transmit_when_idle(47_000, give_up_at=started + 0.2)
        waited = time.time() - started
        holder.cancel()
        return sent, waited

    sent, waited = asyncio.run(scenario())
    assert not sent and waited < 1.0
