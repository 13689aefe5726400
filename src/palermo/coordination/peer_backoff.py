"""Per-peer back-off for the relay thread: one unreachable node must not hold up the others
(ADR 0052).

The relay (`hit_notice_relay`) sends every peer its queued messages and runs the prompt
deconfliction rounds (`deconfliction_relay`) on one thread, woken by each commit that queued
something. A peer that does not answer holds that thread for its transport's timeout; tried
again on every wake, a dead peer delayed every live peer's notices by that much each time.
Here each peer that failed at the transport level (no connection, a timeout: not a refusal,
which is answered at once) waits its own back-off before it is tried again -- doubling from
``FIRST`` to ``LONGEST`` while it keeps failing, cleared by one success -- and peers that
have failed lately are served last in each pass, after the healthy ones.

Not a thread per peer: when a dead peer's back-off ends, that one attempt still holds the
thread up to the timeout (at most once per ``LONGEST`` once it has stayed dead), and a
notice committed meanwhile for a live peer waits for it. Shared by the two tasks of one
relay thread, so it needs no lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

FIRST = 2.0  # seconds before the first retry of a peer that failed
LONGEST = 120.0  # seconds: the longest wait between tries of a peer that stays unreachable


class PeerBackoff:
    """Which peers failed lately, and when each may be tried again."""

    def __init__(
        self,
        first: float = FIRST,
        longest: float = LONGEST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.first, self.longest, self.clock = first, longest, clock
        self.failures: dict[str, int] = {}  # peer node id -> failures in a row
        self.retry_at: dict[str, float] = {}

    def due(self, node_id: str) -> bool:
        """May the peer be tried now? (Always, unless it failed and its wait is not over.)"""
        return self.clock() >= self.retry_at.get(node_id, 0.0)

    def failed(self, node_id: str) -> float:
        """The peer did not answer: it waits longer each time; returns the wait."""
        count = self.failures.get(node_id, 0) + 1
        self.failures[node_id] = count
        wait = min(self.first * 2.0 ** (count - 1), self.longest)
        self.retry_at[node_id] = self.clock() + wait
        return wait

    def succeeded(self, node_id: str) -> None:
        """The peer answered: it is healthy again."""
        self.failures.pop(node_id, None)
        self.retry_at.pop(node_id, None)

    def order(self, node_ids: Iterable[str]) -> list[str]:
        """The peers that are due, healthy ones first (in the given order), then those
        that failed lately (fewest failures first)."""
        due = [n for n in dict.fromkeys(node_ids) if self.due(n)]
        return sorted(due, key=lambda n: self.failures.get(n, 0))  # stable: keeps the order
