"""Deconfliction reveals nothing but the hit, and only to the two parties (findings 1, 5, 6, 26).

A1 and B2 each hold the same passport in an unshared case; C3 is a third agency on the same
node. Selectors are keyed under the node's secret and kept in a node-private table; a hit
tells each party the identifier type, the other agency and its own case, nobody else
anything. Plus the DH private set intersection used between nodes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.coordination import cases, deconfliction, psi
from palermo.exchange import alerts, psi_exchange, registry
from palermo.ingest.build import build
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.tables import deconfliction_hit, deconfliction_selector, metadata, statement
from tests.exchange.nodes import Node, make_federation
from tests.store.factories import SYSTEM, aliases_of, setup_agencies

PASSPORT = "WC8344932"
OLD_PUBLIC_KEY = b"palermo-development-deconfliction-key"  # the key the review reversed


@dataclass
class World:
    store: Store
    client: TestClient
    viewers: dict[str, Viewer]
    headers: dict[str, dict[str, str]]
    cases: dict[str, str]  # name -> case id


def _person(
    store: Store, viewer: Viewer, local: str, handling: tuple[str, ...] = (), **props: str
) -> str:
    entity_id = f"{viewer.agency.lower()}.{local}"
    sharing = Sharing.owner_only(Sharing.parse("owner", handling).handling)
    store.write(
        viewer, build(viewer.agency, entity_id, "Person", {"name": local, **props}, sharing)
    )
    return entity_id


def _open(
    world: World, agency: str, number: str, subjects: list[str], team: dict[str, str] | None = None
) -> str:
    body = {
        "case_number": number,
        "title": f"case {number}",
        "exploitation_form": "sexual-exploitation",
        "subjects": subjects,
        "team": team or {},
    }
    response = world.client.post("/api/v1/cases", json=body, headers=world.headers[agency])
    assert response.status_code == 200, response.text
    case_id: str = response.json()["id"]
    world.cases[number] = case_id
    return case_id


def _publish(world: World, agency: str, case_id: str) -> int:
    response = world.client.post(
        f"/api/v1/cases/{case_id}/deconfliction", headers=world.headers[agency]
    )
    assert response.status_code == 200, response.text
    selectors: int = response.json()["selectors"]
    return selectors


def _hits(world: World, agency: str) -> list[dict[str, object]]:
    response = world.client.get("/api/v1/deconfliction/hits", headers=world.headers[agency])
    assert response.status_code == 200, response.text
    found: list[dict[str, object]] = response.json()
    return found


@pytest.fixture
def world(store: Store) -> World:
    viewers = setup_agencies(store, {"A1": (), "B2": (), "C3": ()})
    headers = {
        code: {"Authorization": f"Bearer {store.create_token(SYSTEM, v.username, 't')}"}
        for code, v in viewers.items()
    }
    client = TestClient(create_app(store=store, rate_limit=0))
    return World(store, client, viewers, headers, {})


def _overlap(world: World) -> None:
    """A1 holds the passport in its second case (the first holds another); so does B2."""
    a, b = world.viewers["A1"], world.viewers["B2"]
    other = _person(world.store, a, "a-other", passportNumber="ZZ0000001")
    suspect = _person(world.store, a, "a-suspect", passportNumber=PASSPORT, phone="+40722621314")
    _publish(world, "A1", _open(world, "A1", "A-CASE-0", [other]))
    assert _publish(world, "A1", _open(world, "A1", "A-CASE-1", [suspect])) == 2
    namesake = _person(world.store, b, "b-traveller", passportNumber="WC 834 4932")
    assert _publish(world, "B2", _open(world, "B2", "B-CASE-9", [namesake])) == 1


def test_finding_1_selectors_unreadable_and_not_brute_forceable(
    world: World, tmp_path: Path
) -> None:
    _overlap(world)
    store, c3 = world.store, world.headers["C3"]
    with store.engine.connect() as conn:
        selectors = list(conn.execute(sa.select(deconfliction_selector.c.selector)).scalars())
    assert len(selectors) == 4
    secrets = [*selectors, *world.cases.values(), *world.cases, PASSPORT, "a1.hit-", "b2.hit-"]
    # as the third agency: entity lists (all, and per schema), search, hits, export
    bodies = [
        world.client.get(f"/api/v1/entities?schema={schema}&limit=500", headers=c3).text
        for schema in ("DeconflictionSelector", "DeconflictionHit", "InvestigationCase")
    ]
    bodies.append(world.client.get("/api/v1/entities?limit=500", headers=c3).text)
    for query in ("A-CASE-1", "B-CASE-9", selectors[0][:16], "WC8344932", "hit-"):
        bodies.append(world.client.get(f"/api/v1/search?q={query}", headers=c3).text)
    bodies.append(json.dumps(_hits(world, "C3")))
    bodies += [json.dumps(e.to_ftm()) for e in store.export(world.viewers["C3"])]
    for body in bodies:
        assert not [s for s in secrets if s in body], body
    # selectors are never statements (so never synced); no HMAC under the old public key
    old = hmac.new(OLD_PUBLIC_KEY, f"document:{PASSPORT}".encode(), hashlib.sha256).hexdigest()
    with store.engine.connect() as conn:
        schemas = set(conn.execute(sa.select(statement.c.schema).distinct()).scalars())
        dump = " ".join(
            str(row) for table in metadata.sorted_tables for row in conn.execute(table.select())
        )
    assert "DeconflictionSelector" not in schemas
    assert old not in dump and old[:24] not in dump
    # offline guessing fails: without the node's secret, H(guess) under any other key differs
    guess = deconfliction.message("document", PASSPORT)
    assert psi.hash_to_group(guess).hex() not in selectors
    assert psi.blind(psi.new_secret(), [guess])[0].hex() not in selectors
    other = Store.open(f"sqlite:///{tmp_path / 'other.db'}")  # another node: another secret
    try:
        assert deconfliction.node_secret(other) != deconfliction.node_secret(store)
    finally:
        other.close()


def test_finding_1_hit_reveals_only_to_the_two_parties(world: World) -> None:
    _overlap(world)
    ids = world.cases
    expected = {
        "A1": ("B2", "A-CASE-1", "B-CASE-9"),
        "B2": ("A1", "B-CASE-9", "A-CASE-1"),
    }
    for agency, (other, own_number, their_number) in expected.items():
        (hit,) = _hits(world, agency)
        assert hit["selector_type"] == "document"
        assert hit["other_agency"] == other
        assert hit["agencies"] == sorted([agency, other])
        assert hit["case_references"] == [f"{agency}:{own_number}"]
        assert hit["case_id"] == ids[own_number]  # filed under the right case, not own[0]
        record = world.client.get(f"/api/v1/entities/{hit['id']}", headers=world.headers[agency])
        page = world.client.get("/hits", headers=world.headers[agency])
        assert page.status_code == 200 and other in page.text and own_number in page.text
        for text in (json.dumps(hit), record.text, page.text):
            assert their_number not in text and ids[their_number] not in text
        for outsider in ("C3", other):  # nobody else can open this party's record
            got = world.client.get(f"/api/v1/entities/{hit['id']}", headers=world.headers[outsider])
            assert got.status_code == 404
    assert _hits(world, "C3") == []
    # de-duplicated: publishing again tells nobody twice
    _publish(world, "A1", ids["A-CASE-1"])
    _publish(world, "B2", ids["B-CASE-9"])
    assert len(_hits(world, "A1")) == len(_hits(world, "B2")) == 1
    assert deconfliction.detect(world.store) == []
    # audited: every publication and both parties' hits; hit alerts reach only the parties
    actions = [(e.agency, e.action) for e in world.store.audit_entries()]
    assert actions.count(("A1", "deconfliction.publish")) == 3
    assert actions.count(("B2", "deconfliction.publish")) == 2
    assert ("A1", "deconfliction.told") in actions and ("B2", "deconfliction.told") in actions
    for code in ("A1", "C3"):
        alerts.subscribe(world.store, world.viewers[code], "hit", "*")
    alerts.scan(world.store)
    (told,) = alerts.alerts_for(world.store, world.viewers["A1"])
    assert told.entity_id.startswith("a1.hit-")
    assert alerts.alerts_for(world.store, world.viewers["C3"]) == []


def test_finding_5_observer_cannot_publish(world: World) -> None:
    a = world.viewers["A1"]
    suspect = _person(world.store, a, "a-suspect", passportNumber=PASSPORT)
    case = _open(world, "A1", "A-CASE-1", [suspect], team={"B2": "observer", "C3": "member"})
    for agency in ("B2", "C3"):  # an observer, and even a full member of another agency
        response = world.client.post(
            f"/api/v1/cases/{case}/deconfliction", headers=world.headers[agency]
        )
        assert response.status_code == 403, response.text
        assert "only the agency that owns and leads the case" in response.json()["detail"]
    missing = world.client.post(
        "/api/v1/cases/a1.case-missing/deconfliction", headers=world.headers["A1"]
    )
    assert missing.status_code == 404 and missing.json()["field"] == "case_id"
    with world.store.engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(deconfliction_selector)).scalar()
            == 0
        )
    assert _publish(world, "A1", case) == 1  # the lead may


def test_finding_6_masked_values_make_no_selectors(world: World) -> None:
    a, b = world.viewers["A1"], world.viewers["B2"]
    sensitive = ("victim-sensitive",)
    phone_a = _person(world.store, a, "a-victim", sensitive, phone="+40722341621")
    phone_b = _person(world.store, b, "b-victim", sensitive, phone="+380675312451")
    # another agency's masked phone in A1's case: shared to A1 but masked for its analyst
    shared = "b2.shared-victim"
    world.store.write(
        b,
        build("B2", shared, "Person", {"name": "shared", "phone": "+380675312451"},
              Sharing.parse("A1", sensitive)),
    )  # fmt: skip
    # All masked for the analysts, the persons are named by their aliases (finding 3).
    alias = aliases_of(world.store)
    case_a = _open(world, "A1", "A-CASE-1", [alias[phone_a], alias[shared]])
    case_b = _open(world, "B2", "B-CASE-9", [alias[phone_b]])
    assert _publish(world, "A1", case_a) == 0
    assert _publish(world, "B2", case_b) == 0
    assert _hits(world, "A1") == [] and _hits(world, "B2") == []
    with world.store.engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(deconfliction_selector)).scalar()
            == 0
        )


def test_finding_26_get_hits_has_no_side_effects(world: World) -> None:
    _overlap(world)
    with world.store.engine.begin() as conn:  # forget the hits: a GET must not re-create them
        conn.execute(statement.delete().where(statement.c.schema == "DeconflictionHit"))
        conn.execute(deconfliction_hit.delete())
    cleared: list[int] = []
    world.store.write_listeners.append(lambda: cleared.append(1))

    def count() -> int:
        with world.store.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(statement)).scalar_one())

    before = count()
    for agency in ("A1", "B2", "C3"):
        assert _hits(world, agency) == []
        page = world.client.get("/hits", headers=world.headers[agency])
        assert page.status_code == 200
    assert count() == before and cleared == []


def test_rate_limit_refuses_and_audits_guessing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deconfliction, "MAX_NEW_PER_HOUR", 3)
    a = world.viewers["A1"]
    phones = [_person(world.store, a, f"p{i}", phone=f"+4072262131{i}") for i in range(5)]
    assert _publish(world, "A1", _open(world, "A1", "A-CASE-1", phones[:3])) == 3
    case = _open(world, "A1", "A-CASE-2", phones[3:])
    response = world.client.post(f"/api/v1/cases/{case}/deconfliction", headers=world.headers["A1"])
    assert response.status_code == 429 and "A1" in response.json()["detail"]
    assert ("A1", "deconfliction.refused") in [
        (e.agency, e.action) for e in world.store.audit_entries()
    ]


def test_sweep_records_hits_that_publications_raced_past(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two publications in parallel transactions do not see each other; the worker's sweep
    (not a GET) records the hit."""
    with monkeypatch.context() as patched:
        patched.setattr(deconfliction, "_record_overlaps", lambda *args: [])
        _overlap(world)
    assert _hits(world, "A1") == _hits(world, "B2") == []
    (hit,) = deconfliction.detect(world.store, world.viewers["B2"])
    assert (hit.other_agency, hit.case_id) == ("A1", world.cases["B-CASE-9"])
    assert len(_hits(world, "A1")) == 1
    assert deconfliction.detect(world.store) == []


# --- the DH private set intersection between nodes -------------------------------------

IDENTIFIERS_A = [b"document:WC8344932", b"phone:+40722621314", b"document:X1", b"email:a@b.c"]
IDENTIFIERS_B = [b"phone:+40722621314", b"document:Y2", b"document:WC8344932", b"iban:DE1"]


def test_psi_two_nodes_find_exactly_the_common_identifiers() -> None:
    a, b = psi.new_secret(), psi.new_secret()
    assert a != b
    offer = psi.blind(a, IDENTIFIERS_A)  # A -> B
    answer = psi.reblind(b, offer)  # B -> A, same order
    held = psi.blind(b, IDENTIFIERS_B)  # B -> A
    common = psi.intersect(answer, psi.reblind(a, held))
    assert sorted(IDENTIFIERS_A[i] for i in common) == [
        b"document:WC8344932",
        b"phone:+40722621314",
    ]
    # single-blinded values of the two nodes never match each other
    assert not set(offer) & set(held)


def test_psi_single_blinded_values_cannot_be_matched_offline() -> None:
    a, b = psi.new_secret(), psi.new_secret()
    offer = psi.blind(a, IDENTIFIERS_A)
    guesses = [f"phone:+40722{n:06d}".encode() for n in range(621000, 622000)]
    # B (or anyone) holding A's values but not A's secret: neither the bare hash nor B's own
    # blinding of the guesses matches, nor B's reblinding of them against A's values
    assert not {psi.hash_to_group(g) for g in guesses} & set(offer)
    assert not set(psi.blind(b, guesses)) & set(offer)
    assert not set(psi.blind(b, guesses)) & set(psi.reblind(b, offer))
    # only the secret holder can test a guess
    assert psi.blind(a, [b"phone:+40722621314"])[0] in offer


def test_psi_rejects_points_outside_the_group() -> None:
    a = psi.new_secret()
    for bad in (bytes(32), b"\x01" + bytes(31), b"\xff" * 32, b"short"):
        with pytest.raises(psi.InvalidPoint):
            psi.reblind(a, [bad])
    with pytest.raises(ValueError, match="secret"):
        psi.blind(bytes(32), [b"x"])


def test_psi_round_between_two_nodes(tmp_path: Path) -> None:
    """psi_offer/psi_answer/psi_conclude between two stores: each learns its own side."""
    nodes = {}
    for code, passport in (("A1", PASSPORT), ("B2", "WC-8344932")):
        store = Store.open(f"sqlite:///{tmp_path / code}.db")
        viewer = setup_agencies(store, {code: ()})[code]
        suspect = _person(
            store, viewer, "s", passportNumber=passport, phone=f"+4930123456{code[1]}"
        )
        case = cases.open_case(store, viewer, f"{code}-1", "t", "forced-labour", [suspect])
        assert deconfliction.publish_case(store, viewer, case) == 2
        nodes[code] = (store, viewer, case)
    try:
        (a_store, _, a_case), (b_store, b_viewer, _) = nodes["A1"], nodes["B2"]
        offer = deconfliction.psi_offer(a_store)
        answer = deconfliction.psi_answer(b_store, "A1", offer)
        assert not set(offer) & {s for _, s in answer.held}  # different secrets
        (hit,) = deconfliction.psi_conclude(a_store, "B2", offer, answer)
        assert (hit.other_agency, hit.case_id, hit.selector_type) == ("B2", a_case, "document")
        assert deconfliction.psi_conclude(a_store, "B2", offer, answer) == []  # told once
        assert deconfliction.hits(b_store, b_viewer) == []  # B learns by its own round
        with pytest.raises(ValueError, match="offered"):
            deconfliction.psi_answer(b_store, "A1", ["00" * 32] * (deconfliction.MAX_PSI_OFFER + 1))
        with pytest.raises(psi.InvalidPoint):
            deconfliction.psi_answer(b_store, "A1", ["zz"])
        assert [e.action for e in b_store.audit_entries()].count("deconfliction.psi") == 1
    finally:
        for store, _, _ in nodes.values():
            store.close()


def _psi_transport(nodes: dict[str, Node]) -> psi_exchange.Transport:
    """Deliver an offer to the peer's route handler, as HTTP would."""
    by_endpoint = {f"http://{n.node_id}": n for n in nodes.values()}

    def post(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            return 200, psi_exchange.answer(by_endpoint[endpoint].store, body)
        except psi_exchange.Refused as exc:
            return exc.status, {"detail": str(exc)}

    return post


def test_psi_over_the_signed_exchange(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psi_exchange, "_last_answer", {})
    nodes = make_federation(tmp_path)
    de, nl, th = nodes["DE-BKA"], nodes["NL-KMAR"], nodes["TH-RTP"]
    published = {}
    for node, passport in ((de, PASSPORT), (nl, "wc 834 4932"), (th, "AA1234567")):
        suspect = _person(node.store, node.analyst, "s", passportNumber=passport)
        case = cases.open_case(
            node.store, node.analyst, f"{node.agency}-1", "t", "forced-labour", [suspect]
        )
        assert deconfliction.publish_case(node.store, node.analyst, case) == 1
        published[node.agency] = case
    send = _psi_transport(nodes)
    (hit,) = psi_exchange.run_all(de.store, send)
    assert (hit.other_agency, hit.case_id) == ("NL-KMAR", published["DE-BKA"])
    (hit,) = psi_exchange.run_all(nl.store, send)
    assert (hit.other_agency, hit.case_id) == ("DE-BKA", published["NL-KMAR"])
    assert psi_exchange.run_all(th.store, send) == []
    # a peer answers one round per minute: a second round now is refused (429), not answered
    offer_peer = next(p for p in _peers(de) if p.agency == "NL-KMAR")
    with pytest.raises(psi_exchange.Refused) as refused:
        psi_exchange.run_round(de.store, offer_peer, send)
    assert refused.value.status == 429
    monkeypatch.setattr(psi_exchange, "_last_answer", {})
    # forged, stale, misaddressed or unknown offers are refused before anything is answered
    with de.store.engine.connect() as conn:
        me = registry.identity(conn)
    assert me is not None
    good = {
        "kind": "psi-offer",
        "sender": de.node_id,
        "receiver": nl.node_id,
        "nonce": "n",
        "sent_at": datetime.now(UTC).isoformat(),
        "offered": deconfliction.psi_offer(de.store),
    }
    stale = {**good, "sent_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}
    forged = {**psi_exchange._signed(good, me.key()), "offered": []}
    stranger = psi_exchange._signed({**good, "sender": "mallory"}, me.key())
    wrong = psi_exchange._signed({**good, "receiver": th.node_id}, me.key())
    for bad, why in (
        (psi_exchange._signed(stale, me.key()), "sent_at"),
        (forged, "signature"),
        (stranger, "sender"),
        (wrong, "receiver"),
        (psi_exchange._signed({**good, "offered": ["zz"]}, me.key()), "point"),
    ):
        with pytest.raises(psi_exchange.Refused, match=why):
            psi_exchange.answer(nl.store, bad)
        monkeypatch.setattr(psi_exchange, "_last_answer", {})
    assert len(psi_exchange.answer(nl.store, psi_exchange._signed(good, me.key()))["held"]) == 1
    monkeypatch.setattr(psi_exchange, "_last_answer", {})
    client = TestClient(create_app(store=nl.store, rate_limit=0))  # the HTTP route
    path = psi_exchange.PSI_PATH
    assert client.post(path, content=b"[" * 100_000).status_code == 400
    assert client.post(path, json=forged).status_code == 403
    reply = client.post(path, json=psi_exchange._signed(good, me.key()))
    assert reply.status_code == 200 and reply.json()["sender"] == nl.node_id
    rounds = [e for e in nl.store.audit_entries() if e.action.startswith("deconfliction.psi")]
    actions = [e.action for e in rounds]  # DE's, TH's and the two last rounds; the bad point
    assert actions.count("deconfliction.psi") == 4 and "deconfliction.psi.refused" in actions


def _peers(node: Node) -> list[registry.Peer]:
    with node.store.engine.connect() as conn:
        return registry.peers(conn)
