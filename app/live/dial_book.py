"""The addresses a live node knows and when it may dial them: the peers it was given (the tracker, a list), the
hosts it banned, the dials under way, and each address's redial back-off — a peer that is gone or full is tried
again later and later (1, 2, 4 … 30 s); a connection resets it. Pure bookkeeping on the node's loop; ``LiveNode``
dials (its redial round, and the way up, ``app.live.way_up``)."""

from __future__ import annotations

from collections.abc import Iterable

MAX_BANNED = 4096  # hosts never dialled or accepted again (the oldest forgotten past this)
MAX_KNOWN = 512  # addresses given to dial (the oldest forgotten past this)
MAX_REDIAL_S = 30.0

Address = tuple[str, int]


class DialBook:
    def __init__(self) -> None:
        self._banned: dict[str, None] = {}  # oldest first
        self._known: dict[Address, None] = {}  # oldest first
        self._dialling: set[Address] = set()
        self._redial_at: dict[Address, float] = {}  # address -> not dialled again before (monotonic)
        self._redial_wait: dict[Address, float] = {}

    def add(self, addresses: Iterable[Address], me: Address) -> None:
        """Addresses to dial and redial while not connected (``me`` is never one of them)."""
        for address in addresses:
            if address != me:
                self._known.pop(address, None)
                self._known[address] = None
        while len(self._known) > MAX_KNOWN:
            oldest = next(iter(self._known))
            del self._known[oldest]
            self._redial_at.pop(oldest, None)
            self._redial_wait.pop(oldest, None)

    def ban(self, host: str) -> None:
        self._banned[host] = None
        while len(self._banned) > MAX_BANNED:
            del self._banned[next(iter(self._banned))]

    def banned(self, host: str) -> bool:
        return host in self._banned

    def may_dial(self, address: Address, now: float) -> bool:
        """Not being dialled, not banned, and its back-off has passed."""
        if address in self._dialling or address[0] in self._banned:
            return False
        return self._redial_at.get(address, 0.0) <= now

    def due(self, connected: set[Address], now: float) -> list[Address]:
        """The known addresses to dial now (not connected, and ``may_dial``), oldest first."""
        return [a for a in self._known if a not in connected and self.may_dial(a, now)]

    def started(self, address: Address, now: float) -> None:
        """A dial begins: the next one waits twice as long as the last (a connection resets it)."""
        self._dialling.add(address)
        self._redial_wait[address] = wait = min(MAX_REDIAL_S, 2 * self._redial_wait.get(address, 0.5))
        self._redial_at[address] = now + wait

    def ended(self, address: Address) -> None:
        self._dialling.discard(address)

    def connected(self, address: Address) -> None:
        self._redial_wait.pop(address, None)
        self._redial_at.pop(address, None)
