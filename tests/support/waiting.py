"""The one way tests wait for something to happen outside Qt's event loop: poll a condition with a bound.

``wait_until(condition, timeout, what)`` calls ``condition`` until it returns something truthy and returns that
value; after ``timeout`` seconds it fails with ``AssertionError("timed out after 30 s waiting for: <what>")`` —
``what`` may be a callable, evaluated only then, to name what was seen instead (a folder listing, a log's tail).
The timeout is a bound against hangs, never a speed check (speed lives in bench/). For Qt widgets use
``qtbot.waitUntil``/``qtbot.waitSignal``, which keep the event loop running while they wait.

Any thread; it sleeps between polls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

Description = str | Callable[[], str]


def wait_until(condition: Callable[[], T], timeout: float, what: Description, interval: float = 0.05) -> T:
    """``condition()``'s first truthy value, polled every ``interval`` s; an AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for: {what() if callable(what) else what}")
        time.sleep(interval)
