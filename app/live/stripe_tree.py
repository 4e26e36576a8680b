"""A node's place in the stripe trees: its parent per stripe, the route it advertises, and the children it accepts.

Each viewer picks, per stripe, one neighbour to push that stripe to it and tells it with SUBSCRIBE; the parent's
STATUS answers which stripes it accepted, and carries for each stripe its hops from the origin, its free slots and
its *path* (the node ids from the stripe's root down to it). How the trees stay whole under churn:

- **No loops, without hold-down.** A peer never picks (and a parent never accepts) a neighbour whose path holds its
  own id — the only way to pick someone in one's own subtree. A node that loses its parent therefore keeps its
  children and re-parents at once (the parent's departure is its connection closing); it used to advertise "no
  route" for a hold-down time, which made its whole subtree let go and rejoin at the same moment (a storm of
  subscriptions to stale free slots, most refused, each refusal remembered: the trees fell apart under churn).
- **Children wait for an orphaned parent.** A parent that has no route is left only after ``ORPHAN_GRACE_S`` and
  only for a neighbour that can take us: usually it re-parents first, and the subtree below stays as it was.
- **Children wait for a starved parent.** A parent that went quiet on a stripe but is alive (its HAVE, repeated to
  children every ``HAVE_HEARTBEAT_S``) and holds none of the blocks it missed is starved itself: it is waited for
  ``STARVED_PARENT_GRACE_S`` longer while it re-parents, so a stall high in a tree moves one node, not the subtree.
- **A refusal is known at once.** STATUS says how many SUBSCRIBEs it answers, so a refused subscription is
  recognised on the answer's arrival (it used to wait a second) and the next candidate is asked in the same round.
- **Rejoin prefers short routes with free slots.** Candidates are ordered by hops (plus one for each stripe they
  already push to us: one slow parent should cost one stripe, not all; plus ``AWAY_PENALTY`` for the spare slot of
  a parent whose home is another stripe), then most free slots, then shortest queue.
- **Each viewer relays one stripe above all: its home.** A viewer picks the stripe fewest of its neighbours call
  home (and moves when its home leaves slots unused while a stripe has none), and gives it most of its push slots
  (``NodeConfig.home_children``); the rest (one at 3 Mbit/s) go to any other stripe. A tree's inner nodes are then
  mostly nodes of full fan-out, so trees stay a few hops deep — with every viewer spreading ~1.6 children over ~2.4
  stripes they were 7-9 hops deep at 40 viewers, and each hop costs ~0.13 s (SplitStream, Castro et al. 2003,
  builds its interior-disjoint trees on the same observation).
  A node that asks for a place in its home stripe may take it from a child for which that stripe is not home
  (the parent must relay it as its home too, or be the origin): the displaced child finds another parent at once,
  and the nodes that relay a stripe climb to the top of its tree. The origin gives a viewer only its home stripe.
  A node deep in its home stripe learns the address of a free place above it (``app.live.way_up``) and dials it.

``TreeCounters`` records what happened (parents lost and why, loops broken, refusals, rounds with no candidate,
join and rejoin times, stripe-seconds without a route) for the bench. Pure logic on the node's loop; the node sends
the frames this module builds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from random import Random
from typing import TYPE_CHECKING

from app.live import wire
from app.live.way_up import way_up_for
from app.live.wire import NO_ROUTE, stripe_of

if TYPE_CHECKING:
    from app.live.neighbour import Neighbour
    from app.live.node import NodeConfig

STALE_PARENT_S = 2.0  # a parent that delivered nothing of its stripe for this long (stream alive) is replaced
# ... unless it is starved of that stripe itself (alive, and without the blocks): then it is waited for this much longer
# while it mends its own route. A parent tells by its HAVE, which it sends its children at least every heartbeat.
STARVED_PARENT_GRACE_S = 2.0
HAVE_HEARTBEAT_S = 1.0
ORPHAN_GRACE_S = 1.0  # how long a child stays with a parent that lost its own route
REFUSAL_MEMORY_S = 2.0  # a neighbour we left or that refused us is not asked again for this long
UPGRADE_AFTER_S = 4.0  # a parent kept this long may be swapped for a free slot at least UPGRADE_HOPS nearer the root
UPGRADE_HOPS = 2
UPGRADE_TRIAL_S = 1.0  # a new parent tried for an upgrade that has not answered by then is given up
PUSH_SHARE = 0.7  # of a viewer's upload cap, for stripe children
STARVING_AFTER_S = 1.0  # a stripe with no parent and no neighbour able to take us this long: look for more peers
HOME_SAMPLE = 3  # the home stripe is picked once this many neighbours told theirs ...
HOME_WAIT_S = 1.0  # ... or this long after the node started, from whatever it knows by then
HOME_SPARE_S = 5.0  # a home stripe that left slots unused this long is given up for one short of slots
AWAY_PENALTY = 3  # hops a spare slot of a node relaying another stripe counts extra: home slots are taken first
_REJOIN_SAMPLES = 256


@dataclass(slots=True)
class TreeCounters:
    parents_departed: int = 0  # the parent's connection closed
    parents_stale: int = 0  # it stopped delivering
    parents_refused: int = 0  # it did not accept our subscription
    parents_orphaned: int = 0  # it had no route for ORPHAN_GRACE_S and someone else could take us
    parents_upgraded: int = 0  # left for a free slot nearer the root (trees stay shallow)
    upgrades_refused: int = 0  # the nearer parent did not take us (or did not answer): we kept the one we had
    loops_broken: int = 0  # the parent's path held our own id
    subscriptions: int = 0
    children_refused: int = 0  # subscriptions this node turned down (full, or the asker is its ancestor)
    children_displaced: int = 0  # children let go for a node whose home stripe it was
    homes_moved: int = 0  # home stripes given up for a stripe short of slots (or fewer relays)
    climb_dials: int = 0  # nodes dialled because our home parent named them the way up (app.live.way_up)
    no_candidate_rounds: int = 0  # stripe-rounds without a parent and nobody to ask
    no_route_s: float = 0.0  # stripe-seconds without a route, after the stripe's first route
    join_s: list[float] = field(default_factory=list)  # per stripe: join to first route
    rejoin_s: list[float] = field(default_factory=list)  # route lost -> route again (the newest few)

    def figures(self) -> dict[str, object]:
        rejoins = sorted(self.rejoin_s)
        return {
            "departed": self.parents_departed,
            "stale": self.parents_stale,
            "refused": self.parents_refused,
            "orphaned": self.parents_orphaned,
            "upgraded": self.parents_upgraded,
            "upgrades_refused": self.upgrades_refused,
            "loops": self.loops_broken,
            "subscriptions": self.subscriptions,
            "children_refused": self.children_refused,
            "children_displaced": self.children_displaced,
            "homes_moved": self.homes_moved,
            "climb_dials": self.climb_dials,
            "no_candidate": self.no_candidate_rounds,
            "no_route_s": round(self.no_route_s, 2),
            "join_max_s": round(max(self.join_s), 2) if self.join_s else None,
            "rejoins": len(rejoins),
            "rejoin_max_s": round(rejoins[-1], 2) if rejoins else None,
            "rejoin_sum_s": round(sum(rejoins), 2),
        }


@dataclass(slots=True)
class RootGaps:
    """The origin's side of the trees: how long each stripe's root slot stayed free after its first root — a
    stripe whose root left has no route at all until a viewer takes the slot again."""

    free_since: list[float | None]
    ever_rooted: list[bool]
    gaps_s: list[float] = field(default_factory=list)  # the newest ended gaps
    ended_s: float = 0.0  # all ended gaps together

    def update(self, slots: Sequence[int], now: float) -> None:
        for stripe, free in enumerate(slots):
            since = self.free_since[stripe]
            if free <= 0:
                self.ever_rooted[stripe] = True
                if since is not None:
                    self.gaps_s.append(now - since)
                    del self.gaps_s[:-_REJOIN_SAMPLES]
                    self.ended_s += now - since
                    self.free_since[stripe] = None
            elif self.ever_rooted[stripe] and since is None:
                self.free_since[stripe] = now

    def figures(self, now: float) -> dict[str, object]:
        ongoing = [now - since for since in self.free_since if since is not None]
        return {
            "root_gaps": len(self.gaps_s),
            "root_gap_max_s": round(max([*self.gaps_s, *ongoing], default=0.0), 2),
            "root_free_s": round(self.ended_s + sum(ongoing), 2),
        }


class StripeTrees:
    def __init__(self, config: NodeConfig, node_id: bytes, rng: Random, now: float) -> None:
        k = config.stripes
        self._config = config
        self._node_id = node_id
        self._rng = rng
        self.parents: list[Neighbour | None] = [None] * k
        self.hops = [0 if config.is_origin else NO_ROUTE] * k
        self.paths: list[tuple[bytes, ...]] = [()] * k
        self._refused: dict[tuple[bytes, int], float] = {}
        self._routeless_since: list[float | None] = [None if config.is_origin else now] * k
        self._trials: dict[int, tuple[Neighbour, float]] = {}  # stripe -> a nearer parent asked (upgrade), since
        self._ever_routed = [config.is_origin] * k
        self._no_candidate_since: list[float | None] = [None] * k
        self._last_round = now
        self.counters = TreeCounters()
        self.root_gaps = RootGaps([None] * k, [False] * k)  # the origin's figures
        self.accepting = True  # False: the node does not share (metered): no slots, every subscription refused
        self.home: int | None = None  # the stripe this viewer relays above all (None: not picked yet, or the origin)
        self._started = now
        self._home_busy_at = now  # when a child last held a slot in the home stripe (or the home was picked)

    # ---- the child's side ------------------------------------------------------------------------------------

    def keep_parents(self, neighbours: Sequence[Neighbour], now: float, *, newest: int | None) -> None:
        """Check every stripe's parent, replace a failed one, pick one where there is none; update the routes."""
        for key in [key for key, at in self._refused.items() if now - at > REFUSAL_MEMORY_S]:
            del self._refused[key]
        elapsed, self._last_round = now - self._last_round, now
        self._pick_home(neighbours, now)
        for stripe in range(self._config.stripes):
            parent = self.parents[stripe]
            if parent is not None:
                reason = self._failure(parent, stripe, neighbours, now, newest)
                if reason is None:
                    parent = self._upgrade(parent, stripe, neighbours, now, newest)
                else:
                    self._end_trial(stripe, now, refused=False)
                    self._leave(parent, stripe, now, reason)
                    parent = None
            if parent is None:
                parent = self._choose(stripe, neighbours, now)
                if parent is not None:
                    self._subscribe(parent, stripe, now, newest)
                elif neighbours:
                    self.counters.no_candidate_rounds += 1
            if parent is None and self._no_candidate_since[stripe] is None:
                self._no_candidate_since[stripe] = now
            elif parent is not None:
                self._no_candidate_since[stripe] = None
            self._update_route(stripe, parent, now, elapsed)

    def _pick_home(self, neighbours: Sequence[Neighbour], now: float) -> None:
        """Pick the stripe fewest neighbours call home (ties at random), so the swarm's relaying stays balanced; and
        move to another once the home stripe left slots unused for ``HOME_SPARE_S``: to a stripe in which no
        neighbour offers a slot, or (nobody wanting a slot in ours) to one fewer neighbours call home.

        The opening crowd picks knowing few others, and departures change the balance: a stripe with too few relays
        runs out of slots while others have slots to spare (ten minutes at 40 viewers, homes never moved: viewers
        without a parent in one stripe for up to 61 s, every neighbour full in it)."""
        if not self.accepting or self._push_slots() == 0:  # it relays nothing: no neighbour should count on it
            self.home = None
            return
        home, k = self.home, self._config.stripes
        if home is not None:
            children = sum(nb.subscribed_mask >> home & 1 for nb in neighbours)
            if children >= min(self._config.home_children, self._push_slots()):
                self._home_busy_at = now
                return
            if now - self._home_busy_at < HOME_SPARE_S:
                return
            offered = [0] * k
            for nb in neighbours:
                if not nb.is_origin and nb.status is not None:
                    offered = [n + free for n, free in zip(offered, nb.status.free, strict=False)]
            short = [stripe for stripe in range(k) if stripe != home and offered[stripe] == 0]
            if short or children:
                self._move_home(self._rng.choice(short) if short else home, now)
                return
        told = [nb.home for nb in neighbours if not nb.is_origin and nb.status is not None]
        if home is None and len(told) < HOME_SAMPLE and now - self._started < HOME_WAIT_S:
            return
        counts = [0] * k
        for told_home in told:
            if told_home < k:
                counts[told_home] += 1
        fewest = min(counts)
        if home is None or counts[home] > fewest + 1:
            self._move_home(self._rng.choice([stripe for stripe in range(k) if counts[stripe] == fewest]), now)

    def _move_home(self, home: int, now: float) -> None:
        self.counters.homes_moved += self.home is not None and home != self.home
        self.home, self._home_busy_at = home, now

    def starving(self, now: float) -> bool:
        """True while some stripe has had no parent, and no neighbour able to take us, for ``STARVING_AFTER_S``.

        Every neighbour can be full in a stripe (a viewer's push slots are few, and ~80 % of them are taken in a
        grown swarm): such a viewer played that stripe from pulls alone for 8-44 s in a ten-minute bench run (stop
        21), because a full neighbour list dials nobody new. The node dials a few more peers while this holds."""
        return any(since is not None and now - since >= STARVING_AFTER_S for since in self._no_candidate_since)

    def on_gone(self, nb: Neighbour, now: float) -> bool:
        """A neighbour's connection ended; True if it was a parent (the node re-parents at once)."""
        lost = False
        for stripe, parent in enumerate(self.parents):
            if parent is nb:
                self.parents[stripe] = None
                self.counters.parents_departed += 1
                lost = True
        for stripe in [s for s, (trial, _) in self._trials.items() if trial is nb]:
            del self._trials[stripe]
        return lost

    def has_route(self, stripe: int) -> bool:
        """True while a parent with a route to the origin pushes (or is about to push) this stripe to us."""
        parent = self.parents[stripe]
        return parent is not None and not parent.closed and parent.hops(stripe) < self._config.max_hops - 1

    def _failure(
        self, parent: Neighbour, stripe: int, neighbours: Sequence[Neighbour], now: float, newest: int | None
    ) -> str | None:
        if parent.closed:
            return "departed"
        if self._node_id in parent.path(stripe):
            return "loop"
        status, asked = parent.status, parent.asked_at.get(stripe)
        answered = status is not None and asked is not None and status.subscribes_seen >= asked
        if answered and status is not None and not status.pushing_to_you >> stripe & 1:
            return "refused"
        if parent.hops(stripe) >= self._config.max_hops - 1:
            since = parent.no_route_since.setdefault(stripe, now)
            if now - since > ORPHAN_GRACE_S and self._choose(stripe, neighbours, now) is not None:
                return "orphaned"
        else:
            parent.no_route_since.pop(stripe, None)
        return "stale" if self._stale(parent, stripe, now, newest) else None

    def _stale(self, parent: Neighbour, stripe: int, now: float, newest: int | None) -> bool:
        """Nothing of the stripe from ``parent`` for a while, and the stream went on without it (blocks came from
        elsewhere) — a broadcaster that slowed down (a starved encoder) does not make every parent look stale."""
        last = max(parent.last_block_at.get(stripe, 0.0), parent.subscribed_at.get(stripe, 0.0))
        baseline = parent.last_seq.get(stripe)
        if newest is None or baseline is None or newest - baseline < 2 * self._config.stripes:
            return False
        if now - last <= STALE_PARENT_S:
            return False
        return now - last > STALE_PARENT_S + STARVED_PARENT_GRACE_S or not self._starved(parent, stripe, baseline, now)

    def _starved(self, parent: Neighbour, stripe: int, baseline: int, now: float) -> bool:
        """True when ``parent`` is alive (its HAVE came within two heartbeats) and holds none of the stripe's blocks
        after the last it pushed us: it is starved itself, and will re-parent on its own.

        Without this a stall high in a tree emptied the whole subtree below it at once: every node under it saw its
        parent deliver nothing for ``STALE_PARENT_S`` at the same moment and left it, the subtree's nodes took one
        another as parents in the rush, and loops and refusals followed (a ten-minute bench run on a slowed machine:
        1,674 stale parents, 45 % of them left while their own parent was leaving its). Now only the node below the
        one that stopped leaves; the rest keep their places and get the stripe again once it has a new parent."""
        have = parent.have
        if parent.is_origin or have is None or now - parent.have_at > 2 * HAVE_HEARTBEAT_S:
            return False
        k = self._config.stripes
        after = range(max(baseline + 1, have.newest - 64), have.newest + 1)
        return not any(have.holds(seq) for seq in after if stripe_of(seq, k) == stripe)

    def _upgrade(
        self, parent: Neighbour, stripe: int, neighbours: Sequence[Neighbour], now: float, newest: int | None
    ) -> Neighbour:
        """Move to a neighbour with a free slot ``UPGRADE_HOPS`` nearer the root than a parent kept
        ``UPGRADE_AFTER_S`` — joiners take whatever slot is free, so without this trees only ever grow deeper (4-12
        hops at 40 viewers, each hop adding its queueing), and a slot freed near the root stays unused. Make before
        break: the nearer one is asked first and the parent left only once it pushes to us; a refusal (a freed slot
        near the root draws several neighbours at once, one wins) costs nothing. Returns the parent now."""
        trial = self._trials.get(stripe)
        if trial is not None:
            nearer, since = trial
            status, asked = nearer.status, nearer.asked_at.get(stripe)
            answered = status is not None and asked is not None and status.subscribes_seen >= asked
            if answered and status is not None and status.pushing_to_you >> stripe & 1:
                del self._trials[stripe]
                self._leave(parent, stripe, now, "upgrade")
                self.parents[stripe] = nearer
                nearer.subscribed_at[stripe] = now
                nearer.no_route_since.pop(stripe, None)
                # From here it is judged like any parent: stale if the stream goes on without it.
                nearer.last_seq[stripe] = max(nearer.last_seq.get(stripe, -1), newest if newest is not None else -1)
                return nearer
            if answered or nearer.closed or now - since > UPGRADE_TRIAL_S or self._node_id in nearer.path(stripe):
                self._end_trial(stripe, now, refused=True)
            return parent
        if now - parent.subscribed_at.get(stripe, now) < UPGRADE_AFTER_S:
            return parent
        better = self._choose(stripe, neighbours, now)
        # In its home stripe a node moves up for any nearer slot: the slot may be an away child's (displaced), and
        # the nodes that relay a stripe belong at the top of its tree.
        gain = 1 if stripe == self.home else UPGRADE_HOPS
        if better is None or better.hops(stripe) + gain > parent.hops(stripe):
            return parent
        better.my_stripes_mask |= 1 << stripe
        self._send_subscribe(better)
        better.asked_at[stripe] = better.subscribes_sent
        self._trials[stripe] = (better, now)
        self.counters.subscriptions += 1
        return parent

    def _end_trial(self, stripe: int, now: float, *, refused: bool) -> None:
        """Give up the nearer parent tried for ``stripe`` (it refused, did not answer, or our parent failed)."""
        trial = self._trials.pop(stripe, None)
        if trial is None:
            return
        nearer = trial[0]
        nearer.my_stripes_mask &= ~(1 << stripe)
        nearer.asked_at.pop(stripe, None)
        if refused:
            self.counters.upgrades_refused += 1
            self._refused[(nearer.node_id, stripe)] = now
        if not nearer.closed:
            self._send_subscribe(nearer)  # in case it took us after all: it stops pushing that stripe

    def _leave(self, parent: Neighbour, stripe: int, now: float, reason: str) -> None:
        counters = self.counters
        if reason == "departed":
            counters.parents_departed += 1
        elif reason == "loop":
            counters.loops_broken += 1
        elif reason == "refused":
            counters.parents_refused += 1
        elif reason == "orphaned":
            counters.parents_orphaned += 1
        elif reason == "upgrade":
            counters.parents_upgraded += 1
        else:
            counters.parents_stale += 1
        self.parents[stripe] = None
        parent.my_stripes_mask &= ~(1 << stripe)
        parent.asked_at.pop(stripe, None)
        if not parent.closed:
            self._send_subscribe(parent)
            self._refused[(parent.node_id, stripe)] = now

    def _choose(self, stripe: int, neighbours: Sequence[Neighbour], now: float) -> Neighbour | None:
        bit, best, best_key = 1 << stripe, None, None
        # The origin's few copies root the trees: a viewer takes from it only its home stripe (before it has one,
        # one stripe at most), unless it found nobody else for that stripe for a while.
        since = self._no_candidate_since[stripe]
        from_origin = stripe == self.home or (since is not None and now - since >= STARVING_AFTER_S)
        for nb in neighbours:
            status = nb.status
            if nb.closed or status is None or nb.subscribed_mask & bit or stripe >= len(status.free):
                continue
            if status.free[stripe] <= 0 or (nb.node_id, stripe) in self._refused:
                continue
            hops = nb.hops(stripe)
            if hops >= self._config.max_hops - 1 or self._node_id in nb.path(stripe):
                continue
            shared = bin(nb.my_stripes_mask & ~bit).count("1")
            if nb.is_origin and (shared if self.home is None else not from_origin):
                continue
            away = not nb.is_origin and nb.home != stripe  # a spare slot of a node relaying another stripe
            key = (hops + shared + AWAY_PENALTY * away, -status.free[stripe], nb.queued_blocks(), self._rng.random())
            if best_key is None or key < best_key:
                best, best_key = nb, key
        return best

    def _subscribe(self, parent: Neighbour, stripe: int, now: float, newest: int | None) -> None:
        self.parents[stripe] = parent
        parent.my_stripes_mask |= 1 << stripe
        parent.subscribed_at[stripe] = now
        parent.no_route_since.pop(stripe, None)
        parent.last_seq[stripe] = max(parent.last_seq.get(stripe, -1), newest if newest is not None else -1)
        self._send_subscribe(parent)
        parent.asked_at[stripe] = parent.subscribes_sent
        self.counters.subscriptions += 1

    @staticmethod
    def _send_subscribe(parent: Neighbour) -> None:
        parent.subscribes_sent += 1
        parent.send_control(wire.subscribe(parent.my_stripes_mask))

    def _update_route(self, stripe: int, parent: Neighbour | None, now: float, elapsed: float) -> None:
        max_hops = self._config.max_hops
        if parent is not None and parent.hops(stripe) < max_hops - 1:
            self.hops[stripe] = parent.hops(stripe) + 1
            self.paths[stripe] = (*parent.path(stripe), self._node_id)[-wire.MAX_PATH :]
            since = self._routeless_since[stripe]
            if since is not None:
                samples = self.counters.rejoin_s if self._ever_routed[stripe] else self.counters.join_s
                samples.append(now - since)
                del samples[:-_REJOIN_SAMPLES]
                self._routeless_since[stripe] = None
                self._ever_routed[stripe] = True
            return
        self.hops[stripe] = NO_ROUTE
        self.paths[stripe] = ()
        if self._routeless_since[stripe] is None:
            self._routeless_since[stripe] = now
        elif self._ever_routed[stripe]:
            self.counters.no_route_s += elapsed

    # ---- the parent's side -----------------------------------------------------------------------------------

    def reconfigure(self, config: NodeConfig) -> None:
        """The node's settings changed (its upload cap): slots are counted from them from now on."""
        self._config = config

    def slots(self, neighbours: Sequence[Neighbour]) -> list[int]:
        """How many more children this node takes, per stripe."""
        config, k = self._config, self._config.stripes
        children = [0] * k
        for nb in neighbours:
            mask = nb.subscribed_mask
            for s in range(k):
                children[s] += mask >> s & 1
        if not self.accepting:
            return [0] * k
        if config.is_origin:
            return [max(0, config.origin_copies_per_stripe - c) for c in children]
        total = self._push_slots()
        free = max(0, total - sum(children))
        caps = [config.max_children_per_stripe] * k
        home = self.home
        if home is not None:
            home_cap = min(config.home_children, total)
            # The other stripes share what the home stripe cannot use, so the home stripe always has its slots.
            away_free = max(0, total - home_cap - (sum(children) - children[home]))
            caps = [min(caps[s], children[s] + away_free) for s in range(k)]
            caps[home] = home_cap
        return [min(free, caps[s] - children[s]) if self.hops[s] < config.max_hops - 1 else 0 for s in range(k)]

    def _push_slots(self) -> int:
        """A viewer's children over all stripes: 70 % of its upload (the rest for pulls, and short queues)."""
        config, k = self._config, self._config.stripes
        return 4 * k if config.upload_bps is None else int(config.upload_bps * PUSH_SHARE / (config.stream_bps / k))

    def displaceable(self, neighbours: Sequence[Neighbour]) -> list[int]:
        """Per stripe, children a node whose home it is could displace: in our home stripe (every stripe, at the
        origin), the children that call another stripe home."""
        k = self._config.stripes
        relayed_as_home = range(k) if self._config.is_origin else [] if self.home is None else [self.home]
        counts = [0] * k
        for stripe in relayed_as_home:
            counts[stripe] = sum(1 for nb in neighbours if nb.subscribed_mask >> stripe & 1 and nb.home != stripe)
        return counts

    def grant(self, nb: Neighbour, mask: int, neighbours: Sequence[Neighbour]) -> list[Neighbour]:
        """A neighbour's SUBSCRIBE: accept the stripes that fit (never for one of our own ancestors). Returns the
        children displaced to make room for it (each must be told: its STATUS no longer has the stripe)."""
        displaced: list[Neighbour] = []
        nb.subscribes_received += 1
        held, nb.subscribed_mask = nb.subscribed_mask, 0  # count the slots as if this peer held none, then grant
        # The stripes it already had first: asking for one more must not cost it one it has (the pool is shared).
        for stripe in sorted(range(self._config.stripes), key=lambda s: not held >> s & 1):
            if not mask >> stripe & 1:
                continue
            # Per stripe, and for a viewer also one pool shared by all stripes: recounted after each grant.
            if nb.node_id in self.paths[stripe]:
                self.counters.children_refused += 1
                continue
            if self.slots(neighbours)[stripe] <= 0:
                victim = self._displaceable_for(nb, stripe, neighbours)
                if victim is None:
                    self.counters.children_refused += 1
                    continue
                victim.subscribed_mask &= ~(1 << stripe)
                displaced.append(victim)
                self.counters.children_displaced += 1
            nb.subscribed_mask |= 1 << stripe
        return displaced

    def _displaceable_for(self, nb: Neighbour, stripe: int, neighbours: Sequence[Neighbour]) -> Neighbour | None:
        """A child of ours in ``stripe`` that ``nb`` may take the place of: ``nb`` calls the stripe home, we relay it
        as our home (or are the origin) and have a route, and the child calls another stripe home. One that relays
        nothing of the stripe goes first (it has no subtree to move)."""
        if nb.home != stripe or not (self._config.is_origin or self.home == stripe):
            return None
        if self.hops[stripe] >= self._config.max_hops - 1:
            return None
        bit = 1 << stripe
        others = [c for c in neighbours if c is not nb and c.subscribed_mask & bit and c.home != stripe]
        return min(others, key=lambda c: (c.relays(stripe), self._rng.random()), default=None)

    @staticmethod
    def relaying(neighbours: Sequence[Neighbour]) -> int:
        """The stripes (bit mask) this node pushes to at least one child."""
        mask = 0
        for nb in neighbours:
            mask |= nb.subscribed_mask
        return mask

    def status_frame(self, nb: Neighbour, slots: Sequence[int], relaying: int, displaceable: Sequence[int]) -> bytes:
        """Our STATUS for ``nb``; the free slots it is told count the children it could displace (its home)."""
        home = nb.home
        if home < len(slots) and displaceable[home]:
            slots = [n + displaceable[home] if s == home else n for s, n in enumerate(slots)]
        return wire.status(
            tuple(self.hops),
            tuple(slots),
            nb.subscribed_mask,
            nb.subscribes_received,
            tuple(self.paths),
            relaying=relaying,
            home=wire.NO_HOME if self.home is None else self.home,
            way_up=way_up_for(self.parents, self.home, nb),
        )

    def advertised(self, slots: Sequence[int], relaying: int, displaceable: Sequence[int]) -> tuple[object, ...]:
        """What STATUS tells everyone (a change is told at once)."""
        # Not the way up: it follows our parent's free slots, which come and go; the STATUS each second carries it.
        return (tuple(self.hops), tuple(self.paths), tuple(slots), relaying, tuple(displaceable), self.home)
