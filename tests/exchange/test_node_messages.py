"""Issue 19 between nodes (ADR 0035), on SQLite and PostgreSQL:

- a hit on a record received from another node tells its owner there within a second, on
  every hit path (screening, search, cross-referencing through the searcher's real API;
  deconfliction rounds tell the local owner in the round itself), through the relay's own
  thread woken by the hit's commit;
- the owner's reply travels back, signed, to the searcher's node, which shows it on its
  follow-ups (API and the /hits page), and only that node records it;
- when the owner purges an erased record, each peer that received it purges its copy on
  the signed erasure notice, with the purge in its audit chain; a peer never purges on an
  unsigned, foreign-owner or misaddressed notice, nor ever a current value.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.coordination import hit_notice_relay, hit_notices, retention
from palermo.exchange import registry
from palermo.exchange.psi_exchange import Refused
from palermo.ingest.build import build
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.tables import statement
from tests.conftest import fresh_pg_database
from tests.exchange.nodes import AGENCIES, SYSTEM, Node
from tests.exchange.relay_peers import (
    EU,
    clients,
    converge,
    federation,
    node_key,
    relay_transport,
    signed_message,
)
from tests.store.factories import person

PASSPORT = "C01X00T47"
YEAR = timedelta(days=366)


@dataclass
class Fed:
    nodes: dict[str, Node]
    apps: dict[str, TestClient]  # by endpoint
    tokens: dict[str, dict[str, str]]  # agency -> auth header
    erased: bool = False  # DE's p1 erased (a tombstone on NL), for the property test

    def transport(self) -> hit_notice_relay.Transport:
        return relay_transport(self.apps)


@pytest.fixture(scope="module")
def pg_trio() -> Iterator[dict[str, str]]:
    """Three PostgreSQL databases for the module (wiped per test: creating and dropping
    databases costs seconds on a loaded machine), named by process like the session's
    database, so two test processes using this fixture never drop each other's."""
    names = [f"palermo_nm_{code.lower().replace('-', '_')}_{os.getpid()}" for code in AGENCIES]
    gens = [fresh_pg_database(name) for name in names]
    urls = {code: next(g) for code, g in zip(AGENCIES, gens, strict=True)}
    yield urls
    for gen in gens:
        next(gen, None)


@pytest.fixture(params=["sqlite", "postgresql"])
def fed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fed]:
    """Three nodes (DE, NL, TH) on the backend; DE's person p1 and its report of a stolen
    passport (r1) reached NL."""
    if request.param == "sqlite":
        urls = {code: f"sqlite:///{tmp_path / code}.db" for code in AGENCIES}
    else:
        urls = request.getfixturevalue("pg_trio")
    nodes = federation(urls, tmp_path)
    de = nodes["DE-BKA"]
    props = {"name": "Ivan Petrov", "birthDate": "1979-05-02", "passportNumber": PASSPORT}
    de.store.write(de.analyst, person("DE-BKA", "p1", EU, **props))
    report = {"documentNumber": PASSPORT, "reportStatus": "stolen"}
    de.store.write(de.analyst, build("DE-BKA", "de-bka.r1", "DocumentReport", report, EU))
    converge(nodes)
    apps = clients(nodes, rate_limit=0)
    tokens = {
        code: {"Authorization": f"Bearer {n.store.create_token(SYSTEM, n.analyst.username, 't')}"}
        for code, n in nodes.items()
    }
    yield Fed(nodes, apps, tokens)
    for node in nodes.values():
        node.store.close()


def _told(node: Node, channel: str) -> list[hit_notices.Notice]:
    return [n for n in hit_notices.received(node.store, node.analyst) if n.channel == channel]


# --- 1. within a second on every hit path --------------------------------------------------


def _search(fed: Fed) -> Any:
    nl = fed.apps["http://nl-kmar-node"]
    return nl.get("/api/v1/search?q=ivan%20petrov&purpose=case%2017", headers=fed.tokens["NL-KMAR"])


def _screening(fed: Fed) -> Any:
    nl = fed.apps["http://nl-kmar-node"]
    body = {"number": PASSPORT, "purpose": "border check"}
    return nl.post("/api/v1/screening/document", json=body, headers=fed.tokens["NL-KMAR"])


def _xref(fed: Fed) -> Any:
    nl_node = fed.nodes["NL-KMAR"]
    props = {"name": "Ivan Petrov", "birthDate": "1979-05-02", "nationality": "ru"}
    nl_node.store.write(nl_node.analyst, person("NL-KMAR", "t1", Sharing.owner_only(), **props))
    nl = fed.apps["http://nl-kmar-node"]
    return nl.post("/api/v1/xref/run?threshold=0.5&purpose=joint", headers=fed.tokens["NL-KMAR"])


PATHS = {"search": _search, "screening": _screening, "xref": _xref}
# The best of up to three hits (each counts up the day's notice at the owner): one hit slowed
# by a loaded, shared test machine is not the design; a relay that polls or waits behind
# other work fails every attempt (and a notice later than 5 s fails at once).
ATTEMPTS = 3


@pytest.mark.parametrize("channel", sorted(PATHS))
def test_the_remote_owner_is_told_within_a_second(fed: Fed, channel: str) -> None:
    de, nl = fed.nodes["DE-BKA"], fed.nodes["NL-KMAR"]
    nl_app, auth = fed.apps["http://nl-kmar-node"], fed.tokens["NL-KMAR"]
    # misses first: the timed hit measures the hit path, not cold caches and imports
    assert nl_app.get("/api/v1/search?q=nobody%20known", headers=auth).status_code == 200
    nl_app.post("/api/v1/screening/document", json={"number": "ZZ0"}, headers=auth)
    relay = hit_notice_relay.start(nl.store, fed.transport())  # as `palermo serve` does
    times: list[float] = []
    try:
        while len(times) < ATTEMPTS and not (times and times[-1] < 1.0):
            time.sleep(0.1)  # the relay thread is waiting
            before = sum(n.hits for n in _told(de, channel))
            response = PATHS[channel](fed)
            answered = time.monotonic()
            assert response.status_code == 200, response.text
            while sum(n.hits for n in _told(de, channel)) == before:
                assert time.monotonic() - answered < 5.0, f"{channel}: no notice within 5 s"
                time.sleep(0.01)
            times.append(time.monotonic() - answered)
    finally:
        relay.stop()
    assert min(times) < 1.0, times
    [notice] = _told(de, channel)
    record = "de-bka.r1" if channel == "screening" else "de-bka.p1"
    assert (notice.record_id, notice.searcher_agency) == (record, "NL-KMAR")
    assert _told(fed.nodes["TH-RTP"], channel) == []


def test_a_deconfliction_round_tells_the_local_owner_in_the_round(
    fed: Fed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between nodes deconfliction is a PSI round: the asking node's owner is told in the
    round's own transaction (the other node's owner in that node's round: docs/trust.md)."""
    from palermo.coordination import cases, deconfliction
    from palermo.exchange import psi_exchange
    from tests.security.test_deconfliction import _person

    monkeypatch.setattr(psi_exchange, "_last_answer", {})
    de, nl = fed.nodes["DE-BKA"], fed.nodes["NL-KMAR"]
    published = {}
    for node in (de, nl):
        suspect = _person(node.store, node.analyst, "s", passportNumber="WC 834 4932")
        case = cases.open_case(
            node.store, node.analyst, f"{node.agency}-1", "t", "other", [suspect]
        )
        assert deconfliction.publish_case(node.store, node.analyst, case) == 1
        published[node.agency] = case

    def post(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = fed.apps[endpoint].post(psi_exchange.PSI_PATH, json=body)
        return response.status_code, response.json()

    [nl_peer] = [p for p in registry_peers(de) if p.agency == "NL-KMAR"]
    psi_exchange.run_round(de.store, nl_peer, post)
    concluded = time.monotonic()
    [notice] = _told(de, "deconfliction")
    assert time.monotonic() - concluded < 1.0
    assert (notice.record_id, notice.searcher_agency) == (published["DE-BKA"], "NL-KMAR")
    assert _told(nl, "deconfliction") == []  # NL learns in its own round


def registry_peers(node: Node) -> list[registry.Peer]:
    with node.store.engine.connect() as conn:
        return registry.peers(conn)


# --- 2. the reply travels back ---------------------------------------------------------------


def test_the_owners_reply_reaches_the_searchers_node_only(fed: Fed) -> None:
    de, nl, th = fed.nodes["DE-BKA"], fed.nodes["NL-KMAR"], fed.nodes["TH-RTP"]
    assert _search(fed).status_code == 200
    assert hit_notice_relay.deliver(nl.store, fed.transport()) == 1
    [notice] = hit_notices.received(de.store, de.analyst)
    hit_notices.reply(de.store, de.analyst, notice.id, "Known suspect: call BKA desk 4")
    started = time.monotonic()
    assert hit_notice_relay.deliver(de.store, fed.transport()) == 1  # the reply, to NL only
    [follow_up] = hit_notices.sent(nl.store, nl.analyst)
    assert time.monotonic() - started < 1.0
    assert (follow_up.owner_agency, follow_up.status) == ("DE-BKA", hit_notices.ANSWERED)
    assert follow_up.reply == "Known suspect: call BKA desk 4"
    assert hit_notices.sent(th.store, th.analyst) == []
    # the API and the /hits page show it to NL
    nl_app = fed.apps["http://nl-kmar-node"]
    api = nl_app.get("/api/v1/hit-notices/sent", headers=fed.tokens["NL-KMAR"]).json()
    assert [f["reply"] for f in api] == ["Known suspect: call BKA desk 4"]
    page = nl_app.get("/hits", headers=fed.tokens["NL-KMAR"])
    assert page.status_code == 200 and "Known suspect: call BKA desk 4" in page.text
    # sent once; the same reply delivered again (a lost answer) changes nothing, audited once
    assert hit_notice_relay.deliver(de.store, fed.transport()) == 0
    again = {
        "record_id": "de-bka.p1",
        "owner": "DE-BKA",
        "searcher_agency": "NL-KMAR",
        "day": datetime.now(UTC).date().isoformat(),
        "reply": "Known suspect: call BKA desk 4",
        "replied_at": datetime.now(UTC).isoformat(),
    }
    answer = hit_notice_relay.accept_replies(nl.store, _reply_message(de, nl, [again]))
    assert answer == {"recorded": 1, "skipped": 0}
    assert _audit_actions(nl.store).count("hit.reply.remote") == 1
    assert hit_notices.sent(nl.store, nl.analyst) == [follow_up]
    assert nl.store.audit_verify().ok and de.store.audit_verify().ok


def _reply_message(sender: Node, receiver: Node, replies: list[dict[str, Any]]) -> dict[str, Any]:
    return signed_message(hit_notice_relay.REPLY_KIND, sender, receiver, replies=replies)


def test_a_reply_is_recorded_only_from_the_owners_node_on_the_searchers_notice(fed: Fed) -> None:
    de, nl, th = fed.nodes["DE-BKA"], fed.nodes["NL-KMAR"], fed.nodes["TH-RTP"]
    assert _search(fed).status_code == 200
    [mine] = hit_notices.sent(nl.store, nl.analyst)
    day = datetime.now(UTC).date().isoformat()
    reply = {
        "record_id": "de-bka.p1",
        "owner": "DE-BKA",
        "searcher_agency": "NL-KMAR",
        "day": day,
        "reply": "forged",
        "replied_at": datetime.now(UTC).isoformat(),
    }
    # TH signs a reply in DE's name: skipped (a node speaks for its own agency)
    answer = hit_notice_relay.accept_replies(nl.store, _reply_message(th, nl, [reply]))
    assert answer == {"recorded": 0, "skipped": 1}
    # TH in its own name: no notice of NL's on a TH record
    answer = hit_notice_relay.accept_replies(
        nl.store, _reply_message(th, nl, [{**reply, "owner": "TH-RTP"}])
    )
    assert answer == {"recorded": 0, "skipped": 1}
    # DE's reply signed with TH's key, or addressed to TH: refused
    forged = {**_reply_message(de, nl, [reply]), "key": node_key(th).public_key}
    with pytest.raises(Refused):
        hit_notice_relay.accept_replies(nl.store, forged)
    with pytest.raises(Refused):
        hit_notice_relay.accept_replies(nl.store, _reply_message(de, th, [reply]))
    assert hit_notices.sent(nl.store, nl.analyst) == [mine]  # unchanged
    assert mine.reply is None


# --- 3. erasure reaches the peers ------------------------------------------------------------


def _rows(store: Store, entity_id: str) -> int:
    with store.engine.connect() as conn:
        query = sa.select(sa.func.count()).where(statement.c.entity_id == entity_id)
        return int(conn.execute(query).scalar_one())


def _audit_actions(store: Store) -> list[str]:
    from palermo.store.tables import audit_log

    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(audit_log.c.action)).scalars())


def _erase_and_purge(fed: Fed) -> None:
    de = fed.nodes["DE-BKA"]
    then = datetime.now(UTC) + 12 * YEAR  # DE's jurisdiction erases a person after 10 years
    assert ("DE-BKA", "de-bka.p1") in retention.sweep(de.store, then).erased
    converge(fed.nodes)  # the tombstone reaches NL
    purged = retention.sweep(de.store, then).purge.purged
    assert ("DE-BKA", "de-bka.p1") in {(a, e) for a, e, _ in purged}


def test_the_owners_purge_reaches_the_peer_that_received_the_record(fed: Fed) -> None:
    de, nl, th = fed.nodes["DE-BKA"], fed.nodes["NL-KMAR"], fed.nodes["TH-RTP"]
    assert _rows(nl.store, "de-bka.p1") > 0 and _rows(th.store, "de-bka.p1") == 0
    _erase_and_purge(fed)
    assert _rows(de.store, "de-bka.p1") == 0
    assert _rows(nl.store, "de-bka.p1") > 0  # the hidden tombstone, until the notice
    assert hit_notice_relay.deliver(de.store, fed.transport()) == 1  # NL only: TH never had it
    assert _rows(nl.store, "de-bka.p1") == 0
    assert "retention.purge.received" in _audit_actions(nl.store)
    assert nl.store.audit_verify().ok and de.store.audit_verify().ok
    assert nl.store.search(nl.analyst, "petrov") == []


def _erasure(sender: Node, receiver: Node, items: list[dict[str, Any]]) -> dict[str, Any]:
    return signed_message(hit_notice_relay.ERASURE_KIND, sender, receiver, erasures=items)


def test_a_peer_never_purges_on_an_unsigned_foreign_or_misaddressed_notice(fed: Fed) -> None:
    de, nl, th = fed.nodes["DE-BKA"], fed.nodes["NL-KMAR"], fed.nodes["TH-RTP"]
    retention.sweep(de.store, datetime.now(UTC) + 12 * YEAR)
    converge(fed.nodes)  # NL holds the hidden tombstone: purgeable by DE's notice only
    held = _rows(nl.store, "de-bka.p1")
    item = {"agency": "DE-BKA", "entity_id": "de-bka.p1"}
    good = _erasure(de, nl, [item])
    nl_app = fed.apps["http://nl-kmar-node"]
    unsigned = {k: v for k, v in good.items() if k != "signature"}
    assert nl_app.post(hit_notice_relay.ERASURE_PATH, json=unsigned).status_code == 403
    tampered = {**good, "erasures": [{"agency": "DE-BKA", "entity_id": "de-bka.other"}]}
    assert nl_app.post(hit_notice_relay.ERASURE_PATH, json=tampered).status_code == 403
    with_th_key = {**_erasure(de, nl, [item]), "key": node_key(th).public_key}
    assert nl_app.post(hit_notice_relay.ERASURE_PATH, json=with_th_key).status_code == 403
    assert (
        nl_app.post(hit_notice_relay.ERASURE_PATH, json=_erasure(de, th, [item])).status_code == 403
    )
    # TH signs an erasure of DE's record (foreign owner): skipped
    assert hit_notice_relay.accept_erasures(nl.store, _erasure(th, nl, [item]))["purged"] == 0
    assert _rows(nl.store, "de-bka.p1") == held
    # the real owner's notice purges it
    response = nl_app.post(hit_notice_relay.ERASURE_PATH, json=good)
    assert response.status_code == 200 and response.json() == {"purged": 1, "skipped": 0}
    assert _rows(nl.store, "de-bka.p1") == 0
    assert nl.store.audit_verify().ok


def test_an_erasure_notice_never_deletes_a_current_value(fed: Fed) -> None:
    """Even the owner's own signed notice purges only what no read path shows any more."""
    de, nl = fed.nodes["DE-BKA"], fed.nodes["NL-KMAR"]
    held = _rows(nl.store, "de-bka.p1")
    answer = hit_notice_relay.accept_erasures(
        nl.store, _erasure(de, nl, [{"agency": "DE-BKA", "entity_id": "de-bka.p1"}])
    )
    assert answer == {"purged": 0, "skipped": 1}
    assert _rows(nl.store, "de-bka.p1") == held
    assert nl.store.entity(nl.analyst, "de-bka.p1") is not None


ITEM = st.fixed_dictionaries(
    {
        "agency": st.sampled_from(["DE-BKA", "NL-KMAR", "TH-RTP", 7]),
        "entity_id": st.sampled_from(["de-bka.p1", "nl-kmar.q1", "th-rtp.x", "", None]),
    }
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=st.lists(ITEM, max_size=4), sender=st.sampled_from(["TH-RTP", "NL-KMAR"]))
def test_property_no_node_but_the_owners_purges_a_peers_copy(
    fed: Fed, items: list[dict[str, Any]], sender: str
) -> None:
    """Any signed erasure from a node that is not DE's leaves DE's records on NL alone."""
    de, nl = fed.nodes["DE-BKA"], fed.nodes["NL-KMAR"]
    if not fed.erased:  # once: NL holds DE's tombstone, which only DE's notice may purge
        retention.sweep(de.store, datetime.now(UTC) + 12 * YEAR)
        converge(fed.nodes)
        fed.erased = True
    if sender == "NL-KMAR":  # NL addressing itself: the receiver is not a peer
        message = _erasure(nl, nl, items)
    else:
        message = _erasure(fed.nodes[sender], nl, items)
    before = _rows(nl.store, "de-bka.p1")
    with contextlib.suppress(Refused):
        hit_notice_relay.accept_erasures(nl.store, message)
    assert _rows(nl.store, "de-bka.p1") == before > 0
