"""Cross-node deconfliction within the second: prompt rounds and signed hit notices (ADR 0042).

Between nodes, deconfliction is a PSI round (``exchange.psi_exchange``) that tells only the
asking node which of its selectors the peer holds. Two additions make both owners learn of
an overlap at once instead of in each node's five-minute round:

- **A prompt round on publication.** ``deconfliction.publish_case`` wakes the hit-notice
  relay thread when it stored new selectors; :class:`PromptRounds`, one of that thread's
  tasks, offers each peer only the selectors published since its last round with it (at
  most ``MAX_PROMPT_OFFER``, marked ``prompt`` in the signed offer, which the peer answers
  on a budget of its own: ``psi_exchange``).
- **A signed notice to the peer.** The round's conclusion queues, for each new hit of this
  node's agency, a ``deconfliction-hits`` message for the peer (``node_messages``; the
  relay signs and delivers it like hit notices, replies and erasure notices). :func:`accept`
  is the peer's side: the envelope is checked like every node message (registered sender,
  key, signature, receiver, freshness), each item by ``deconfliction.receive_peer_hits``
  (the sender's own agency, a selector held here, a proof that the sender holds the
  identifier); the owner's hit and hit notice are written in the same transaction.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
import sqlalchemy as sa

from palermo.coordination import deconfliction, hit_notice_relay, node_messages
from palermo.coordination.peer_backoff import PeerBackoff
from palermo.coordination.psi import InvalidPoint
from palermo.exchange import psi_exchange, registry
from palermo.store.store import Store
from palermo.store.tables import deconfliction_selector

KIND = node_messages.DECONFLICTION
PATH = node_messages.KINDS[KIND][0]
MAX_PROMPT_OFFER = psi_exchange.MAX_PROMPT_OFFER
RETRY_AFTER = 30.0  # seconds before a prompt round that failed is tried again
# A prompt round shares the relay's thread: an unreachable peer may hold it this long, then
# waits its back-off (`peer_backoff`, doubling to 120 s) and is served after the healthy
# peers (a full round's transport waits 60 s).
TIMEOUT = 10.0
log = logging.getLogger(__name__)


def accept(store: Store, data: object) -> dict[str, Any]:
    """The peer's node: verify the message, then record each hit it may (see the module
    docstring); ``Refused`` (with the HTTP status) when the envelope does not check out.
    Refused items are listed with their reasons in the answer (the message is accepted:
    sending it again would not change them)."""
    peer, items, _ = hit_notice_relay._checked(store, data, KIND)
    with store.engine.connect() as conn:
        me = registry.identity(conn)
    if me is None:  # _checked found one; the node was reset meanwhile
        raise psi_exchange.Refused("receiver: this node has no identity")
    return deconfliction.receive_peer_hits(store, peer.node_id, me.node_id, peer.agency, items)


class PromptRounds:
    """The relay thread's task: a round with each peer over the selectors published since
    the last one (ids above a watermark taken when the relay starts; older selectors are
    the worker's periodic rounds' job, which run at start too)."""

    def __init__(
        self,
        store: Store,
        transport: psi_exchange.Transport | None = None,
        backoff: PeerBackoff | None = None,
    ) -> None:
        self.store = store
        self.backoff = backoff or PeerBackoff()  # the relay thread's, shared with deliver
        # built now, not in the first round (its client's TLS context loads the CA bundle)
        self.transport = transport or _psi_transport()
        self.start = self._top()
        self.offered_upto: dict[str, int] = {}  # peer node id -> highest selector id offered
        self.retry_at: dict[str, float] = {}

    def _top(self) -> int:
        with self.store.engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.max(deconfliction_selector.c.id))).scalar() or 0
            )

    def __call__(self) -> int:
        """Run the rounds that are due; returns how many hits this node recorded."""
        with self.store.engine.connect() as conn:
            peers = registry.peers(conn) if registry.identity(conn) is not None else []
        found = 0
        by_id = {p.node_id: p for p in peers}
        for node_id in self.backoff.order(by_id):  # due ones, healthy peers first
            peer = by_id[node_id]
            if time.monotonic() < self.retry_at.get(peer.node_id, 0.0):
                continue
            while fresh := self._fresh(self.offered_upto.get(peer.node_id, self.start)):
                ids, offered = fresh
                try:
                    found += len(self._round(peer, offered))
                except (psi_exchange.Refused, InvalidPoint, ValueError, httpx.HTTPError) as exc:
                    log.warning(
                        "prompt deconfliction round with %r failed: %r",
                        peer.node_id,
                        str(exc)[:300],
                    )
                    self.retry_at[peer.node_id] = time.monotonic() + RETRY_AFTER
                    if isinstance(exc, httpx.TransportError):  # not reached: its back-off
                        self.backoff.failed(peer.node_id)
                    break
                self.backoff.succeeded(peer.node_id)
                self.offered_upto[peer.node_id] = max(ids)
        return found

    def _fresh(self, after: int) -> tuple[list[int], list[str]] | None:
        """Live selectors above ``after`` (at most ``MAX_PROMPT_OFFER``), or None."""
        t = deconfliction_selector
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.c.id, t.c.selector)
                .where(t.c.id > after, t.c.retired_at.is_(None))
                .order_by(t.c.id)
                .limit(MAX_PROMPT_OFFER)
            ).all()
        if not rows:
            return None
        return [int(r.id) for r in rows], sorted({str(r.selector) for r in rows})

    def _round(self, peer: registry.Peer, offered: list[str]) -> list[deconfliction.Hit]:
        return psi_exchange.run_round(self.store, peer, self.transport, offered=offered)


def _psi_transport() -> psi_exchange.Transport:
    """The process's one PSI transport (its client's TLS context is built once)."""
    global _transport
    if _transport is None:
        _transport = psi_exchange.http_transport(TIMEOUT)
    return _transport


_transport: psi_exchange.Transport | None = None
