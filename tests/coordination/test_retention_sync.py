"""An erased record's retractions reach every peer its values reached, like any retraction;
a peer's own data and the records the owner keeps stay as they were."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from palermo.coordination import retention
from palermo.exchange.sync import sync_all
from palermo.model.sharing import Sharing
from tests.exchange.nodes import Node, direct_transport, make_federation, triples
from tests.store.factories import person


def converge(nodes: dict[str, Node]) -> None:
    transport = direct_transport(nodes)
    for _ in range(2):
        for node in nodes.values():
            sync_all(node.store, transport)


def test_the_peer_receives_the_erasure(tmp_path: Path) -> None:
    nodes = make_federation(tmp_path)
    de, nl, th = nodes["DE-BKA"], nodes["NL-KMAR"], nodes["TH-RTP"]
    eu = Sharing.parse("group:EU")
    # DE's coded periods: a suspect is erased after 20 years, any other person after 10
    de.store.write(de.analyst, person("DE-BKA", "p1", eu, name="Ivan Petrov"))
    de.store.write(
        de.analyst,
        person("DE-BKA", "s1", eu, name="Sergei Volkov", topics="crime.traffick.human"),
    )
    nl.store.write(nl.analyst, person("NL-KMAR", "q1", Sharing.to_all(), name="Olga Berg"))
    converge(nodes)
    assert nl.store.entity(nl.analyst, "de-bka.p1") is not None
    assert [e.id for e in nl.store.search(nl.analyst, "petrov")] == ["de-bka.p1"]
    th_before = triples(th.store, th.analyst)

    report = retention.sweep(de.store, datetime.now(UTC) + timedelta(days=366 * 12))
    assert report.erased == [("DE-BKA", "de-bka.p1")]
    converge(nodes)

    for node in (de, nl):
        assert node.store.entity(node.analyst, "de-bka.p1") is None
        assert list(node.store.search(node.analyst, "petrov")) == []
        assert node.store.entity(node.analyst, "de-bka.s1") is not None  # not yet expired
    assert triples(th.store, th.analyst) == th_before  # TH never had it; its data unchanged
    received = [e for e in nl.store.audit_entries() if e.action == "exchange.receive"]
    assert "de-bka.p1" in received[-1].target
    assert nl.store.audit_verify().ok and de.store.audit_verify().ok
