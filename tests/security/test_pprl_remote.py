"""PPRL hit/no-hit between two nodes over the HTTP route (issue 19), and the federation key.

DE and NL each run a node (own store, own Ed25519 key, each other's registered peer) with
the same federation key; DE holds "Ivan Petrov", NL "Иван Петров" (same birth year), among
fifty unrelated persons each. DE's analyst publishes to NL through NL's real route
(``POST /exchange/v1/pprl``, via NL's app): both owners get the same owner-only hit and hit
notice as deconfliction. A forged, misaddressed or foreign-agency publication is refused;
a node keyed differently matches nothing; the key travels in no message and no audit row.
The key store itself is checked on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from palermo.access.viewer import AccessDenied
from palermo.api.app import create_app
from palermo.coordination import (
    deconfliction,
    federation_key,
    hit_notices,
    pprl_exchange,
    pprl_remote,
)
from palermo.exchange import registry
from palermo.exchange.psi_exchange import _signed
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.tables import pprl_federation_key
from tests.exchange.nodes import SYSTEM, Node, make_federation
from tests.security.test_pprl_exchange import A_NAMES, B_NAMES, person, populate
from tests.store.factories import setup_agencies

SECRET = b"s" * 32
EU = Sharing.parse("group:EU")


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[dict[str, Node]]:
    found = make_federation(tmp_path)
    de, nl = found["DE-BKA"], found["NL-KMAR"]
    de_rows = populate(de.store, "DE-BKA", A_NAMES, EU)
    de_rows += person("DE-BKA", "ivan", "Ivan Petrov", EU, birthDate="1980-02-03")
    nl_rows = populate(nl.store, "NL-KMAR", B_NAMES, EU)
    nl_rows += person("NL-KMAR", "ivan", "Иван Петров", Sharing.owner_only(), birthDate="1980")
    de.store.write(de.analyst, de_rows)
    nl.store.write(nl.analyst, nl_rows)
    for node in found.values():
        federation_key.set_key(node.store, SYSTEM, "eu-pprl", SECRET)
    pprl_exchange._last.clear()
    yield found
    for node in found.values():
        node.store.close()


def http_to(nodes: dict[str, Node], sent: list[dict[str, Any]]) -> pprl_remote.Transport:
    """Post to the receiving node's real route (its app, in process)."""
    clients = {f"http://{n.node_id}": TestClient(create_app(n.store)) for n in nodes.values()}

    def post(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        sent.append(body)
        response = clients[endpoint].post(pprl_remote.PPRL_PATH, json=body)
        return response.status_code, response.json()

    return post


def peer_of(node: Node, node_id: str) -> registry.Peer:
    with node.store.engine.connect() as conn:
        found = registry.get_peer(conn, node_id)
    assert found is not None
    return found


def test_a_fuzzy_hit_between_nodes_tells_both_owners(nodes: dict[str, Node]) -> None:
    de, nl = nodes["DE-BKA"], nodes["NL-KMAR"]
    sent: list[dict[str, Any]] = []
    hits = pprl_remote.ask(de.store, de.analyst, peer_of(de, "nl-kmar-node"), http_to(nodes, sent))

    assert [(h.other_agency, h.case_references) for h in hits] == [
        ("NL-KMAR", ("DE-BKA:de-bka.ivan",))
    ]
    theirs = deconfliction.hits(nl.store, nl.analyst)
    assert [(h.selector_type, h.other_agency) for h in theirs] == [("person (fuzzy)", "DE-BKA")]
    for node, record, searcher in ((de, "de-bka.ivan", "NL-KMAR"), (nl, "nl-kmar.ivan", "DE-BKA")):
        notices = hit_notices.received(node.store, node.analyst)
        assert [(n.record_id, n.searcher_agency, n.channel) for n in notices] == [
            (record, searcher, "deconfliction")
        ]
    # the federation key is in no message and no audit row, on either node
    wire = json.dumps(sent)
    assert SECRET.hex() not in wire and "ssssssss" not in wire
    for node in (de, nl):
        assert not any(SECRET.hex() in e.detail for e in node.store.audit_entries())
        assert node.store.audit_verify().ok
    assert "Petrov" not in wire and "de-bka.ivan" not in wire


def test_forged_misaddressed_and_foreign_publications_are_refused(
    nodes: dict[str, Node],
) -> None:
    de, nl = nodes["DE-BKA"], nodes["NL-KMAR"]
    sent: list[dict[str, Any]] = []
    transport = http_to(nodes, sent)
    pprl_remote.ask(de.store, de.analyst, peer_of(de, "nl-kmar-node"), transport)
    good = sent[0]
    app = TestClient(create_app(nl.store))

    def status(body: dict[str, Any]) -> tuple[int, str]:
        response = app.post(pprl_remote.PPRL_PATH, json=body)
        return response.status_code, str(response.json().get("detail", ""))

    forged = {**good, "nonce": "0" * 32}  # changed after signing
    assert status(forged) == (403, "signature: does not verify with the sender's key")
    assert status({**good, "receiver": "th-rtp-node"})[0] == 403
    assert status({"kind": "pprl-publication"})[0] == 400
    assert app.post(pprl_remote.PPRL_PATH, content=b"{").status_code == 400

    # TH's node signs a publication in DE's name: refused (a node publishes for its agency)
    th = nodes["TH-RTP"]
    body = {k: v for k, v in good.items() if k not in ("signature", "key", "protocol")}
    spoof = _signed({**body, "sender": th.node_id}, _key_of(th))
    code, detail = status(spoof)
    assert code == 403 and detail.startswith("publication.agency")
    # the same publication again within the minute: rate limited
    again = _signed(body, _key_of(de))  # DE signs afresh: valid, but too soon
    assert status(again)[0] == 429
    assert len(deconfliction.hits(nl.store, nl.analyst)) == 1  # nothing more recorded


def _key_of(node: Node) -> Any:
    with node.store.engine.connect() as conn:
        me = registry.identity(conn)
    assert me is not None
    return me.key()


def test_a_node_keyed_differently_matches_nothing(nodes: dict[str, Node]) -> None:
    de, nl = nodes["DE-BKA"], nodes["NL-KMAR"]
    federation_key.set_key(nl.store, SYSTEM, "eu-pprl", b"t" * 32)
    hits = pprl_remote.ask(de.store, de.analyst, peer_of(de, "nl-kmar-node"), http_to(nodes, []))
    assert hits == []
    assert deconfliction.hits(nl.store, nl.analyst) == []
    assert hit_notices.received(de.store, de.analyst) == []


def test_the_publish_api_route(nodes: dict[str, Node]) -> None:
    de = nodes["DE-BKA"]
    app = create_app(de.store)
    app.state.pprl_transport = http_to(nodes, [])
    token = de.store.create_token(SYSTEM, de.analyst.username, "pprl test")
    with TestClient(app) as client:
        auth = {"Authorization": f"Bearer {token}"}
        done = client.post("/api/v1/pprl/publish", json={"peer": "nl-kmar-node"}, headers=auth)
        assert done.status_code == 200, done.text
        assert done.json()["hits"] == 1
        missing = client.post("/api/v1/pprl/publish", json={"peer": "nope"}, headers=auth)
        assert missing.status_code == 404 and "peer" in missing.text


def test_the_federation_key_is_stored_for_the_node_only(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    with pytest.raises(ValueError, match="federation: no PPRL federation key"):
        federation_key.key_of(store)
    with pytest.raises(AccessDenied):
        federation_key.set_key(store, viewers["A1"], "eu-pprl", SECRET)
    with pytest.raises(ValueError, match="secret: at least 32 bytes"):
        federation_key.set_key(store, SYSTEM, "eu-pprl", b"short")
    with pytest.raises(ValueError, match="federation"):
        federation_key.set_key(store, SYSTEM, " ", SECRET)
    printed = federation_key.set_key(store, SYSTEM, "eu-pprl", SECRET)
    key = federation_key.key_of(store, "eu-pprl")
    assert key.secret == SECRET and key.federation == "eu-pprl"
    assert printed == federation_key.fingerprint(key) and SECRET.hex() not in printed
    federation_key.set_key(store, SYSTEM, "eu-pprl", b"u" * 32)  # replaced, not added
    with store.engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(pprl_federation_key))
        assert count.scalar_one() == 1
    assert federation_key.key_of(store).secret == b"u" * 32
    logged = [e for e in store.audit_entries() if e.action == "pprl.key"]
    assert len(logged) == 2 and not any(SECRET.hex() in e.detail for e in logged)
    assert store.audit_verify().ok
