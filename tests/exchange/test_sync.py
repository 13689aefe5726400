"""Three nodes exchange what their owners shared, and survive faults.

Each test builds DE-BKA and NL-KMAR (both in group EU) and TH-RTP on separate stores.
After sync every node must hold exactly the statements whose sharing reaches its agency.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from palermo.exchange import registry
from palermo.exchange.keys import NodeKey
from palermo.exchange.sync import Transport, sync_all, sync_peer
from palermo.model.sharing import Sharing
from palermo.store.tables import statement
from tests.exchange.nodes import Node, direct_transport, make_federation, triples
from tests.store.factories import person

SCOPES = {
    "owner": Sharing.parse("owner"),
    "eu": Sharing.parse("group:EU"),
    "th": Sharing.parse("TH-RTP"),
    "all": Sharing.to_all(),
    "all-nonward": Sharing.parse("all", ["no-onward"]),
}


def populate(nodes: dict[str, Node], per_scope: int = 3) -> None:
    for code, node in nodes.items():
        stmts = []
        for scope_name, sharing in SCOPES.items():
            for i in range(per_scope):
                stmts += person(code, f"{scope_name}-{i}", sharing, name=f"{code} {scope_name} {i}")
        node.store.write(node.analyst, stmts)


def expected(nodes: dict[str, Node], reader: Node) -> set[tuple[str, str, str, str]]:
    """What the reader should hold: its own data plus others' data shared with it."""
    from palermo.store.directory import groups_of

    with reader.store.engine.connect() as conn:
        groups = groups_of(conn, reader.agency)
    out = set()
    for node in nodes.values():
        for t in triples(node.store, node.analyst):
            if t[3] != node.agency:
                continue
            entity = node.store.entity(node.analyst, t[0])
            assert entity is not None
            policy = next(v.policy for v in entity.properties[t[1]] if v.value == t[2])
            if Sharing.from_canonical(policy).reaches(node.agency, reader.agency, groups):
                out.add(t)
    return out


def converge(nodes: dict[str, Node], transport: Transport, rounds: int = 3) -> None:
    for _ in range(rounds):
        for node in nodes.values():
            sync_all(node.store, transport)


def assert_exact(nodes: dict[str, Node]) -> None:
    for node in nodes.values():
        assert triples(node.store, node.analyst) == expected(nodes, node), node.agency


def test_each_node_gets_exactly_what_was_shared_with_it(tmp_path: Path) -> None:
    nodes = make_federation(tmp_path)
    populate(nodes)
    converge(nodes, direct_transport(nodes))
    assert_exact(nodes)
    th = triples(nodes["TH-RTP"].store, nodes["TH-RTP"].analyst)
    assert not any(t[3] != "TH-RTP" and " eu " in t[2] for t in th)  # EU-only never reaches TH
    nl = triples(nodes["NL-KMAR"].store, nodes["NL-KMAR"].analyst)
    assert any(t[3] == "DE-BKA" and " eu " in t[2] for t in nl)


def test_received_data_is_never_relayed(tmp_path: Path) -> None:
    nodes = make_federation(tmp_path)
    populate(nodes)
    converge(nodes, direct_transport(nodes))
    with nodes["NL-KMAR"].store.engine.connect() as conn:
        from palermo.exchange import outbox

        relayed = outbox.pending(conn, "NL-KMAR", "TH-RTP", 0, 100_000)
    assert {s["agency"] for s in relayed} == {"NL-KMAR"}


def test_retractions_travel_and_apply(tmp_path: Path) -> None:
    nodes = make_federation(tmp_path)
    populate(nodes, per_scope=1)
    converge(nodes, direct_transport(nodes))
    de = nodes["DE-BKA"]
    de.store.retract(de.analyst, "de-bka.all-0", "name")
    converge(nodes, direct_transport(nodes))
    nl = nodes["NL-KMAR"]
    entity = nl.store.entity(nl.analyst, "de-bka.all-0")
    assert entity is not None and "name" not in entity.properties
    assert_exact(nodes)


def test_replayed_and_duplicated_batches_change_nothing(tmp_path: Path) -> None:
    nodes = make_federation(tmp_path)
    populate(nodes)
    sent: list[tuple[str, dict[str, Any]]] = []
    base = direct_transport(nodes)

    def recording(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        sent.append((endpoint, body))
        base(endpoint, body)  # delivered twice: a duplicate on the wire
        return base(endpoint, body)

    converge(nodes, recording)
    counts = {c: n.store.count_statements() for c, n in nodes.items()}
    for endpoint, body in sent:  # an attacker replays every batch later
        status, answer = base(endpoint, body)
        assert status == 200 and answer["status"] == "duplicate"
    assert {c: n.store.count_statements() for c, n in nodes.items()} == counts
    assert_exact(nodes)


def test_reordered_batches_are_held_back_until_the_gap_is_filled(tmp_path: Path) -> None:
    nodes = make_federation(tmp_path)
    populate(nodes, per_scope=10)
    de, nl = nodes["DE-BKA"], nodes["NL-KMAR"]
    base = direct_transport(nodes)
    held: list[tuple[str, dict[str, Any]]] = []

    def swap(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not held:  # hold the first batch back, pretend it was acknowledged
            held.append((endpoint, body))
            return 200, {"status": "applied", "cursor": body["upto"]}
        return base(endpoint, body)

    peer = registry.get_peer(de.store.engine.connect(), nl.node_id)
    assert peer is not None
    result = sync_peer(de.store, peer, swap, batch_size=10, max_batches=2)
    assert result.batches == 2
    status, answer = base(*held[0])  # the late first batch still applies
    assert status == 200 and answer["status"] == "applied"
    converge(nodes, base)
    assert_exact(nodes)


def test_tampered_batches_are_rejected_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nodes = make_federation(tmp_path)
    populate(nodes, per_scope=1)
    base = direct_transport(nodes)
    attempts: list[dict[str, Any]] = []

    def tamper(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        forged = copy.deepcopy(body)
        forged["statements"][0]["value"] = "forged"
        attempts.append(forged)
        return base(endpoint, forged)

    with caplog.at_level("WARNING", logger="palermo.exchange.inbox"):
        results = sync_all(nodes["DE-BKA"].store, tamper)
    assert all(r.error and r.statements == 0 for r in results)
    # A bad signature means an unauthenticated sender: refused in the server log, never
    # written to the audit log under the agency it claims (finding 13).
    assert sum("signature" in r.getMessage() for r in caplog.records) >= 2
    for code in ("NL-KMAR", "TH-RTP"):
        store = nodes[code].store
        assert all(e.action != "exchange.rejected" for e in store.audit_entries())
        with store.engine.connect() as conn:
            assert (
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(statement)
                    .where(statement.c.agency == "DE-BKA")
                ).scalar()
                == 0
            )
    converge(nodes, base)  # the honest retry converges
    assert_exact(nodes)


def test_batch_signed_by_a_stranger_or_claiming_others_data_is_rejected(tmp_path: Path) -> None:
    nodes = make_federation(tmp_path)
    populate(nodes, per_scope=1)
    base = direct_transport(nodes)
    captured: list[dict[str, Any]] = []

    def capture(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        captured.append(body)
        return 503, {"detail": "down"}

    sync_all(nodes["DE-BKA"].store, capture)
    from palermo.exchange.wire import Batch

    stranger = Batch.from_json(copy.deepcopy(captured[0])).sign(NodeKey.generate())
    status, answer = base("http://nl-kmar-node", stranger.to_json())
    assert status == 403 and "key" in answer["reason"]
    # NL's node signs (validly) a batch that claims DE's statements as its own.
    with nodes["NL-KMAR"].store.engine.connect() as conn:
        nl_ident = registry.identity(conn)
    assert nl_ident is not None
    claim = Batch.from_json(copy.deepcopy(captured[0]))
    claim.sender, claim.receiver = "nl-kmar-node", "th-rtp-node"
    status, answer = base("http://th-rtp-node", claim.sign(nl_ident.key()).to_json())
    assert status == 403 and "agency" in answer["reason"]


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_revoked_or_expired_keys_are_refused_until_a_new_key_is_registered(
    tmp_path: Path, how: str
) -> None:
    from datetime import UTC, datetime, timedelta

    from palermo.store.tables import peer_key

    nodes = make_federation(tmp_path)
    populate(nodes, per_scope=1)
    de, nl = nodes["DE-BKA"], nodes["NL-KMAR"]
    with de.store.engine.connect() as conn:
        old = registry.identity(conn)
    assert old is not None
    with nl.store.transaction() as conn:
        if how == "revoked":
            registry.revoke_key(conn, old.public_key)
        else:
            conn.execute(
                sa.update(peer_key)
                .where(peer_key.c.public_key == old.public_key)
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
    base = direct_transport(nodes)
    peer = registry.get_peer(de.store.engine.connect(), nl.node_id)
    assert peer is not None
    result = sync_peer(de.store, peer, base)
    assert how in result.error and result.statements == 0
    with de.store.transaction() as conn:
        new = registry.rotate_own_key(conn)
    for other in (nl, nodes["TH-RTP"]):
        with other.store.transaction() as conn:
            registry.add_key(conn, de.node_id, new.public_key)
    converge(nodes, base)
    assert_exact(nodes)


def test_network_cut_and_lost_acknowledgements_resume_without_loss(tmp_path: Path) -> None:
    nodes = make_federation(tmp_path)
    populate(nodes, per_scope=20)
    base = direct_transport(nodes)
    calls = {"n": 0}

    def flaky(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        calls["n"] += 1
        if calls["n"] % 3 == 0:
            raise OSError("network unreachable")  # cut before delivery
        answer = base(endpoint, body)
        if calls["n"] % 4 == 0:
            raise OSError("connection reset")  # delivered, acknowledgement lost
        return answer

    for node in nodes.values():
        for peer in registry.peers(node.store.engine.connect()):
            for _ in range(40):
                if not sync_peer(node.store, peer, flaky, batch_size=7).error:
                    break
    assert_exact(nodes)
    # nothing duplicated: each node stores every received statement once
    for node in nodes.values():
        with node.store.engine.connect() as conn:
            ids = conn.execute(sa.select(statement.c.id)).scalars().all()
        assert len(ids) == len(set(ids))
