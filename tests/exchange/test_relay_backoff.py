"""One unreachable peer does not hold up the relay's delivery to the others (issue 19: "an
unreachable peer can hold the relay thread for up to 10 s, once per 30 s").

NL's relay has messages queued for DE, whose endpoint is a port nothing listens on, and for
TH, a live stub peer; real HTTP through the relay's transport. DE fails once, then waits its
own back-off (doubling while it stays unreachable) while TH keeps getting its messages at
every pass, even when DE's backlog would fill a pass; when DE's back-off is over it is tried
again, after TH. SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from palermo.coordination import hit_notice_relay, node_messages
from palermo.coordination.deconfliction_relay import PromptRounds
from palermo.coordination.peer_backoff import FIRST, PeerBackoff
from palermo.exchange import registry
from palermo.exchange.keys import NodeKey
from palermo.store.directory import Agency
from palermo.store.store import Store
from palermo.store.tables import deconfliction_selector, hit_notice_outbox
from tests.exchange.nodes import SYSTEM
from tests.exchange.stub_peer import running_stub
from tests.ports import free_port

DEAD, LIVE = "de-bka-node", "th-rtp-node"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def node(store: Store, tmp: Path, endpoints: dict[str, str]) -> None:
    """NL's node with DE and TH as peers at ``endpoints`` (node id -> URL)."""
    for code in ("NL-KMAR", "DE-BKA", "TH-RTP"):
        store.add_agency(SYSTEM, Agency(code, code, code[:2], "police", ()))
    with store.transaction() as conn:
        registry.init_node(conn, "nl-kmar-node", "NL-KMAR", tmp / "nl.key")
        for node_id, url in endpoints.items():
            agency = node_id.removesuffix("-node").upper()
            registry.add_peer(conn, node_id, agency, url, NodeKey.generate().public_key)


def queue(store: Store, *node_ids: str) -> None:
    with store.transaction() as conn:
        for n, node_id in enumerate(node_ids):
            item = {"record_id": f"x.{n}", "owner": "X", "searcher_agency": "NL-KMAR"}
            node_messages.queue(conn, node_id, node_messages.NOTICE, item)


def unsent(store: Store) -> dict[str, int]:
    t = hit_notice_outbox
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.node_id, sa.func.count())
            .where(t.c.sent_at.is_(None))
            .group_by(t.c.node_id)
        ).all()
    return {str(r[0]): int(r[1]) for r in rows}


def test_a_dead_peer_waits_its_back_off_while_a_live_one_is_served(
    store: Store, tmp_path: Path
) -> None:
    with running_stub() as (arrivals, live_url):
        dead_url = f"http://127.0.0.1:{free_port()}"  # claimed, nothing listens there
        node(store, tmp_path, {DEAD: dead_url, LIVE: live_url})
        real = hit_notice_relay.http_transport(5.0)
        tried: list[str] = []

        def send(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            tried.append({dead_url: DEAD, live_url: LIVE}[endpoint])
            return real(endpoint, body)

        clock = Clock()
        backoff = PeerBackoff(clock=clock)
        queue(store, DEAD, LIVE)  # DE's message is older: first in the outbox
        assert hit_notice_relay.deliver(store, send, backoff) == 1
        assert tried == [DEAD, LIVE]  # both healthy so far: the registry's order
        assert unsent(store) == {DEAD: 1}
        assert not backoff.due(DEAD) and backoff.due(LIVE)

        for _ in range(3):  # passes within DE's back-off: TH only, DE not tried
            tried.clear()
            queue(store, LIVE, DEAD)
            assert hit_notice_relay.deliver(store, send, backoff) == 1
            assert tried == [LIVE]
            clock.now += FIRST / 4
        assert unsent(store) == {DEAD: 4}
        backlog = hit_notice_relay.BATCH * 4  # a whole pass's rows, all for the dead peer
        queue(store, *[DEAD] * backlog, LIVE)
        tried.clear()
        assert hit_notice_relay.deliver(store, send, backoff) == 1  # TH's is not crowded out
        assert tried == [LIVE] and unsent(store) == {DEAD: 4 + backlog}
        assert len([p for _, p, _ in arrivals.seen if p == hit_notice_relay.RELAY_PATH]) == 5

        clock.now += FIRST  # DE's back-off is over: tried again, after the healthy TH
        tried.clear()
        queue(store, DEAD, LIVE)
        assert hit_notice_relay.deliver(store, send, backoff) == 1
        assert tried == [LIVE, DEAD]
        assert backoff.retry_at[DEAD] - clock.now == 2 * FIRST  # it waits twice as long now


def test_a_prompt_round_skips_a_peer_in_back_off(store: Store, tmp_path: Path) -> None:
    """The prompt deconfliction rounds share the relay thread's back-off: a peer the
    delivery found unreachable is offered no round until its wait is over; a peer the
    round itself cannot reach starts its wait; a refusal is an answer (no wait)."""
    node(store, tmp_path, {DEAD: "http://dead.invalid", LIVE: "http://live.invalid"})
    rounds: list[str] = []

    def psi(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        rounds.append(endpoint)
        if endpoint == "http://dead.invalid":
            raise httpx.ConnectError("connection refused")
        return 503, {"detail": "busy"}

    shared = PeerBackoff(clock=Clock())
    shared.failed(DEAD)  # as `deliver` records it on the same thread
    first = PromptRounds(store, psi, shared)
    own = PeerBackoff(clock=Clock())
    second = PromptRounds(store, psi, own)
    _selector(store)  # published after both started: theirs to offer
    first()
    assert rounds == ["http://live.invalid"]
    rounds.clear()
    second()
    assert sorted(rounds) == ["http://dead.invalid", "http://live.invalid"]
    assert not own.due(DEAD) and own.due(LIVE)


def _selector(store: Store) -> None:
    """One published deconfliction selector, as `deconfliction.publish_case` stores it."""
    row = {
        "agency": "NL-KMAR",
        "case_id": "nl-kmar.c1",
        "case_reference": "NL-1",
        "selector_type": "passport",
        "selector": "s" * 64,
        "published_by": "analyst-nl-kmar",
        "published_at": datetime.now(UTC),
    }
    with store.transaction() as conn:
        conn.execute(deconfliction_selector.insert().values(**row))
