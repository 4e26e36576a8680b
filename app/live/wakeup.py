"""A cheap "wake me when told, or after a while" for loops that run several times a second per viewer.

``asyncio.wait_for(event.wait(), timeout)`` wraps the wait in a new task and, on the (usual) timeout, cancels it and
waits for the cancellation: three scheduling rounds and two futures per call. A viewer host runs the play-out tick and
the stripe-tree round of every viewer this way dozens of times a second each. ``Wakeup.wait`` is one future and one
timer. Semantics match an ``asyncio.Event`` the caller clears before waiting: a ``set`` between ``clear`` and ``wait``
is not lost. One event loop, like the loops that use it.
"""

from __future__ import annotations

import asyncio


class Wakeup:
    def __init__(self) -> None:
        self._is_set = False
        self._waiter: asyncio.Future[None] | None = None

    def set(self) -> None:
        self._is_set = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def clear(self) -> None:
        self._is_set = False

    def is_set(self) -> bool:
        return self._is_set

    async def wait(self, timeout_s: float) -> bool:
        """Until ``set`` (True) or ``timeout_s`` seconds passed (False)."""
        if self._is_set:
            return True
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        timer = loop.call_later(max(0.0, timeout_s), _resolve, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None
        return self._is_set


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
