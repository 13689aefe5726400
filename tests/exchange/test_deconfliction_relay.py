"""Cross-node deconfliction: the other node's owner learns of the hit at once (ADR 0042).

On SQLite and PostgreSQL (the ``fed`` fixture of ``test_node_messages``: three nodes, each
with its own store, key and app): NL has published a case; DE publishes one holding the same
passport. DE's relay thread runs a prompt round with NL, records DE's side and sends NL a
signed notice with a proof; NL records its side for its owner (hits API and hit notice)
without a round of its own. A replayed or repeated notice records nothing twice, nor does
NL's own later round; a forged, unsigned, foreign-agency, unknown-selector or unproven
notice is refused; no third agency learns anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import DATA_ROLES, AccessDenied, Role, Viewer
from palermo.coordination import (
    cases,
    deconfliction,
    deconfliction_relay,
    hit_notice_relay,
    hit_notices,
    node_messages,
    psi,
    psi_proof,
)
from palermo.exchange import psi_exchange, registry
from palermo.exchange.psi_exchange import Refused, _signed
from tests.conftest import fresh_pg_database
from tests.exchange import test_node_messages
from tests.exchange.nodes import AGENCIES, Node
from tests.exchange.test_node_messages import Fed
from tests.security.test_deconfliction import _person

fed = test_node_messages.fed  # its three nodes (DE, NL, TH), on SQLite and PostgreSQL


@pytest.fixture(scope="module")
def pg_trio() -> Iterator[dict[str, str]]:
    """This module's own three PostgreSQL databases (``fed`` asks for ``pg_trio``; names of
    their own, so that a concurrent run of test_node_messages does not drop them)."""
    gens = [fresh_pg_database(f"palermo_dr_{code.lower().replace('-', '_')}") for code in AGENCIES]
    urls = {code: next(g) for code, g in zip(AGENCIES, gens, strict=True)}
    yield urls
    for gen in gens:
        next(gen, None)


SHARED = "WC 834 4932"  # the passport both cases hold (normalised alike)
WAIT = 20.0  # seconds: generous on a loaded machine; speed is bench/deconfliction_relay.py's


def _publish(node: Node, passport: str, number: str) -> str:
    suspect = _person(node.store, node.analyst, f"s-{number}", passportNumber=passport)
    case = cases.open_case(node.store, node.analyst, number, "t", "other", [suspect])
    assert deconfliction.publish_case(node.store, node.analyst, case) == 1
    return case


def _psi_post(fed: Fed) -> psi_exchange.Transport:
    """PSI offers through the peer's HTTP route (its app), as the network would carry them."""

    def post(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = fed.apps[endpoint].post(psi_exchange.PSI_PATH, json=body)
        return response.status_code, response.json()

    return post


def _recording(fed: Fed, sent: list[dict[str, Any]]) -> hit_notice_relay.Transport:
    inner = fed.transport()

    def post(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        sent.append(body)
        return inner(endpoint, body)

    return post


def _peer(node: Node, agency: str) -> registry.Peer:
    with node.store.engine.connect() as conn:
        return next(p for p in registry.peers(conn) if p.agency == agency)


def _key(node: Node) -> Any:
    with node.store.engine.connect() as conn:
        me = registry.identity(conn)
    assert me is not None
    return me.key()


@pytest.fixture(autouse=True)
def _fresh_throttles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psi_exchange, "_last_answer", {})
    monkeypatch.setattr(psi_exchange, "_prompts", {})


def test_the_other_nodes_owner_learns_the_hit_without_its_own_round(fed: Fed) -> None:
    de, nl, th = fed.nodes["DE-BKA"], fed.nodes["NL-KMAR"], fed.nodes["TH-RTP"]
    nl_case = _publish(nl, SHARED, "NL-1")
    _publish(th, "AA1234567", "TH-1")  # another identifier: no hit for anyone
    sent: list[dict[str, Any]] = []
    relay = hit_notice_relay.start(de.store, _recording(fed, sent), 30.0, _psi_post(fed))
    try:
        suspect = _person(de.store, de.analyst, "s-de", passportNumber="wc8344932")
        de_case = cases.open_case(de.store, de.analyst, "DE-1", "t", "other", [suspect])
        # DE's analyst publishes through the API; the commit wakes DE's relay thread, which
        # runs the prompt round with NL and delivers the notice
        de_app, de_auth = fed.apps[f"http://{de.node_id}"], fed.tokens["DE-BKA"]
        published = de_app.post(f"/api/v1/cases/{de_case}/deconfliction", headers=de_auth)
        assert published.status_code == 200 and published.json() == {"selectors": 1}
        started = time.monotonic()
        while not deconfliction.hits(nl.store, nl.analyst):
            assert time.monotonic() - started < WAIT, "NL's owner was not told"
            time.sleep(0.02)
    finally:
        relay.stop()
    [nl_hit] = deconfliction.hits(nl.store, nl.analyst)
    assert (nl_hit.other_agency, nl_hit.case_id, nl_hit.selector_type) == (
        "DE-BKA",
        nl_case,
        "document",
    )
    assert nl_hit.case_references == ("NL-KMAR:NL-1",)  # its own reference, never DE's
    [de_hit] = deconfliction.hits(de.store, de.analyst)
    assert (de_hit.other_agency, de_hit.case_id) == ("NL-KMAR", de_case)
    # NL's owner reads it: its hits API and its hit notice inbox (who hit its case)
    app = fed.apps[f"http://{nl.node_id}"]
    listed = app.get("/api/v1/deconfliction/hits", headers=fed.tokens["NL-KMAR"]).json()
    assert [(h["other_agency"], h["case_id"]) for h in listed] == [("DE-BKA", nl_case)]
    [told] = [n for n in hit_notices.received(nl.store, nl.analyst) if n.channel == "deconfliction"]
    assert (told.record_id, told.searcher_agency) == (nl_case, "DE-BKA")
    # the message went to NL only, and says nothing of DE's case or identifier in clear
    [message] = [m for m in sent if m["kind"] == node_messages.DECONFLICTION]
    assert message["receiver"] == nl.node_id
    text = repr(message)
    assert "DE-1" not in text and de_case not in text and "8344932" not in text
    # TH, whose identifier differs, learns nothing on any node
    assert deconfliction.hits(th.store, th.analyst) == []
    assert hit_notices.received(th.store, th.analyst) == []
    # NL's own (full) round later finds the same overlap: nothing is recorded twice
    assert psi_exchange.run_round(nl.store, _peer(nl, "DE-BKA"), _psi_post(fed)) == []
    assert len(deconfliction.hits(nl.store, nl.analyst)) == 1
    assert len(deconfliction.hits(de.store, de.analyst)) == 1


def _notice_for_nl(fed: Fed) -> tuple[dict[str, Any], Node, Node]:
    """DE's round with NL, run by hand; returns DE's signed notice (not yet delivered)."""
    de, nl = fed.nodes["DE-BKA"], fed.nodes["NL-KMAR"]
    _publish(nl, SHARED, "NL-1")
    _publish(de, SHARED, "DE-1")
    [_] = psi_exchange.run_round(de.store, _peer(de, "NL-KMAR"), _psi_post(fed))
    sent: list[dict[str, Any]] = []
    assert hit_notice_relay.deliver(de.store, _recording(fed, sent)) == 1
    [message] = sent
    return message, de, nl


def test_replays_and_repeats_record_nothing_twice(fed: Fed) -> None:
    message, de, nl = _notice_for_nl(fed)
    assert len(deconfliction.hits(nl.store, nl.analyst)) == 1
    again = deconfliction_relay.accept(nl.store, message)  # the same message replayed
    assert again == {"recorded": 0, "skipped": 1, "refused": []}
    resent = _resigned({**message, "nonce": "other"}, _key(de))  # a new message, same item
    assert deconfliction_relay.accept(nl.store, resent)["recorded"] == 0
    assert len(deconfliction.hits(nl.store, nl.analyst)) == 1
    notices = [
        n for n in hit_notices.received(nl.store, nl.analyst) if n.channel == "deconfliction"
    ]
    assert len(notices) == 1 and notices[0].hits == 1


def test_forged_unsigned_and_unproven_notices_are_refused(fed: Fed) -> None:
    message, _, nl = _notice_for_nl(fed)
    before = len(deconfliction.hits(nl.store, nl.analyst))
    unsigned = {k: v for k, v in message.items() if k != "signature"}
    [item] = message["hits"]
    tampered = {**message, "hits": [{**item, "agency": "TH-RTP"}]}  # signature no longer holds
    th_key = _key(fed.nodes["TH-RTP"])
    as_de_by_th = _signed({k: v for k, v in unsigned.items() if k != "key"}, th_key)
    client = fed.apps[f"http://{nl.node_id}"]
    for bad in (unsigned, tampered, as_de_by_th):
        with pytest.raises(Refused, match=r"signature|key"):
            deconfliction_relay.accept(nl.store, bad)
        assert client.post(deconfliction_relay.PATH, json=bad).status_code == 403
    assert client.post(deconfliction_relay.PATH, content=b"{").status_code == 400
    assert len(deconfliction.hits(nl.store, nl.analyst)) == before


def _resigned(message: dict[str, Any], key: Any, **changes: Any) -> dict[str, Any]:
    [item] = message["hits"]
    body = {k: v for k, v in message.items() if k not in ("signature", "key")}
    return _signed({**body, "hits": [{**item, **changes}]}, key)


def test_items_that_do_not_hold_are_refused_with_their_reason(fed: Fed) -> None:
    """Correctly signed by DE, but: another agency, a selector NL does not hold, or a
    selector NL handed out in a round (every answer lists them all) without the identifier."""
    de, nl = fed.nodes["DE-BKA"], fed.nodes["NL-KMAR"]
    nl_case = _publish(nl, SHARED, "NL-1")
    _publish(nl, "XX0000001", "NL-2")  # a second NL case, whose identifier DE does not hold
    de_case = _publish(de, SHARED, "DE-1")
    key = _key(de)
    # what DE saw of NL in a round: all of NL's blinded selectors
    answer = deconfliction.psi_answer(nl.store, "DE-BKA", deconfliction.psi_offer(de.store))
    nl_values = {s for _, s in answer.held}
    [de_row] = deconfliction.psi_offer(de.store)
    secret = deconfliction.node_secret(de.store)
    own = deconfliction._Row("DE-BKA", de_case, "DE-1", "document", de_row)
    items = {v: deconfliction.hit_item(secret, de.node_id, nl.node_id, own, v) for v in nl_values}
    body = {
        "kind": node_messages.DECONFLICTION,
        "sender": de.node_id,
        "receiver": nl.node_id,
        "nonce": "n",
        "sent_at": datetime.now(UTC).isoformat(),
    }
    unknown = psi.blind(psi.new_secret(), [b"document:ZZ"])[0].hex()
    outcome = deconfliction_relay.accept(
        nl.store, _signed({**body, "hits": [*items.values()]}, key)
    )
    # exactly one of NL's two selectors is DE's identifier: that one is recorded, the other
    # (which DE only saw in the answer) is refused on its proof
    assert outcome["recorded"] == 1
    [refused] = outcome["refused"]
    assert refused["reason"].startswith("proof:")
    [nl_hit] = deconfliction.hits(nl.store, nl.analyst)
    assert nl_hit.case_id == nl_case
    [real] = [items[v] for v in nl_values if v not in refused_values(outcome, items)]
    msg = {**body, "hits": [real]}
    for changes, reason in (
        ({"agency": "TH-RTP"}, "agency: node de-bka-node speaks for DE-BKA only"),
        ({"selector": unknown}, "selector: no live deconfliction selector of this node"),
        ({"offered": "zz" * 32}, "offered: 64 hexadecimal characters"),
        ({"response": "00" * 32}, "proof:"),
    ):
        answered = deconfliction_relay.accept(nl.store, _resigned(msg, key, **changes))
        assert answered["recorded"] == 0
        assert answered["refused"][0]["reason"].startswith(reason), answered
    assert len(deconfliction.hits(nl.store, nl.analyst)) == 1
    # a proof made for one pair of nodes proves nothing for another receiver
    th = fed.nodes["TH-RTP"]
    with pytest.raises(Refused, match="receiver"):
        deconfliction_relay.accept(th.store, _signed({**msg, "receiver": nl.node_id}, key))


_PREPARED: set[int] = set()


def refused_values(outcome: dict[str, Any], items: dict[str, dict[str, str]]) -> set[str]:
    order = list(items)
    return {order[r["index"]] for r in outcome["refused"]}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    agency=st.sampled_from(sorted(AGENCIES)),
    roles=st.sets(st.sampled_from([r.value for r in Role]), min_size=1, max_size=3),
    node=st.sampled_from(sorted(AGENCIES)),
)
def test_only_the_two_agencies_concerned_see_the_hit(
    fed: Fed, agency: str, roles: set[str], node: str
) -> None:
    """Any user of any agency and roles, on any node, after a relayed hit between DE and NL:
    it sees a hit (the records and the hit notice) exactly when it is DE on DE's node or NL
    on NL's node."""
    if id(fed) not in _PREPARED:  # once per fixture: the relayed hit (hypothesis reuses it)
        _notice_for_nl(fed)
        _PREPARED.add(id(fed))
    viewer = Viewer(agency, f"u-{agency.lower()}", frozenset(Role(r) for r in roles))
    store = fed.nodes[node].store
    reads = bool(viewer.roles & DATA_ROLES)  # an admin or pre-check account reads no data
    concerned = agency == node and agency in ("DE-BKA", "NL-KMAR") and reads

    def sees(read: Callable[[], list[Any]]) -> bool:
        try:
            return bool(read())
        except AccessDenied:
            return False

    assert sees(lambda: store.entities(viewer, schema="DeconflictionHit", limit=1000)) == concerned
    assert sees(lambda: deconfliction.hits(store, viewer)) == concerned
    notices = lambda: [  # noqa: E731
        n for n in hit_notices.received(store, viewer) if n.channel == "deconfliction"
    ]
    assert sees(notices) == concerned


def test_a_proof_proves_only_its_own_statement() -> None:
    secret, other = psi.new_secret(), psi.new_secret()
    base = psi.blind(psi.new_secret(), [b"document:X"])[0]
    public, commitment, response = psi_proof.prove(secret, base, b"ctx")
    assert psi_proof.verify(base, public, commitment, response, b"ctx")
    assert not psi_proof.verify(base, public, commitment, response, b"other ctx")
    wrong = psi.blind(other, [b"document:X"])[0]
    assert not psi_proof.verify(wrong, public, commitment, response, b"ctx")
    assert not psi_proof.verify(base, wrong, commitment, response, b"ctx")
    assert not psi_proof.verify(base, public, commitment, bytes(32), b"ctx")


def test_prompt_rounds_have_a_budget_of_their_own(
    fed: Fed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A prompt round offers few values and is answered on its own per-minute budget, so a
    publication does not wait for the full round's minute, nor spends it."""
    monkeypatch.setattr(psi_exchange, "PROMPT_ROUNDS", 3)
    de, nl = fed.nodes["DE-BKA"], fed.nodes["NL-KMAR"]
    _publish(nl, SHARED, "NL-1")
    _publish(de, SHARED, "DE-1")
    offered = deconfliction.psi_offer(de.store)
    peer, send = _peer(de, "NL-KMAR"), _psi_post(fed)
    assert len(psi_exchange.run_round(de.store, peer, send, offered=offered)) == 1
    for _ in range(2):
        assert psi_exchange.run_round(de.store, peer, send, offered=offered) == []
    with pytest.raises(Refused, match="prompt rounds") as refused:
        psi_exchange.run_round(de.store, peer, send, offered=offered)
    assert refused.value.status == 429
    psi_exchange.run_round(de.store, peer, send)  # the full round's budget is untouched
    too_many = [offered[0]] * (psi_exchange.MAX_PROMPT_OFFER + 1)
    monkeypatch.setattr(psi_exchange, "_prompts", {})
    with pytest.raises(Refused, match="at most") as big:
        psi_exchange.run_round(de.store, peer, send, offered=too_many)
    assert big.value.status == 400
