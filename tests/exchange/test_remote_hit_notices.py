"""Hit notices to a remote owner (issue 19): NL's search hits a record DE's node sent it;
the notice travels, signed, to DE's node (its real route, via DE's app) and appears among
DE's notices with who searched (agency, channel, purpose) and what was hit, within a
second. A repeated delivery counts nothing twice; a node cannot plant notices in another
agency's name or on records the owner's node did not write; third nodes learn nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.coordination import hit_notice_relay, hit_notices
from tests.exchange.nodes import AGENCIES, Node
from tests.exchange.relay_peers import (
    EU,
    clients,
    converge,
    federation,
    relay_transport,
    signed_message,
)
from tests.store.factories import person


def relay_to(nodes: dict[str, Node], sent: list[dict[str, Any]]) -> hit_notice_relay.Transport:
    return relay_transport(clients(nodes), sent)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Node]:
    tmp = Path(tmp_path_factory.mktemp("relay"))
    found = federation({code: f"sqlite:///{tmp / code}.db" for code in AGENCIES}, tmp)
    de, nl = found["DE-BKA"], found["NL-KMAR"]
    de.store.write(de.analyst, person("DE-BKA", "p1", EU, name="Ivan Petrov"))
    nl.store.write(nl.analyst, person("NL-KMAR", "q1", EU, name="Olga Berg"))
    converge(found)
    return found


def test_the_remote_owner_is_told_who_searched_and_what_was_hit(nodes: dict[str, Node]) -> None:
    de, nl, th = nodes["DE-BKA"], nodes["NL-KMAR"], nodes["TH-RTP"]
    sent: list[dict[str, Any]] = []
    transport = relay_to(nodes, sent)
    found = [e.id for e in nl.store.search(nl.analyst, "petrov")]
    assert found == ["de-bka.p1"]
    started = time.monotonic()  # from the hit to the owner's notice (the worker's round)
    hit_notices.notify_ids(nl.store, nl.analyst, found, "search", "case NL-2026-17")
    assert hit_notice_relay.deliver(nl.store, transport) == 1
    elapsed = time.monotonic() - started
    [notice] = hit_notices.received(de.store, de.analyst)
    assert (notice.record_id, notice.searcher_agency, notice.channel, notice.purpose) == (
        "de-bka.p1",
        "NL-KMAR",
        "search",
        "case NL-2026-17",
    )
    assert notice.hits == 1 and elapsed < 3.0, elapsed  # see the worker test below
    assert hit_notice_relay.deliver(nl.store, transport) == 0  # sent once
    assert hit_notices.received(th.store, th.analyst) == []
    assert "analyst-nl-kmar" not in json.dumps(sent)  # the agency, never the user

    # the same message again (a lost answer): nothing counted twice
    again = relay_to(nodes, [])(f"http://{de.node_id}", sent[0])
    assert again[0] == 200
    assert [n.hits for n in hit_notices.received(de.store, de.analyst)] == [1]
    # a second hit the same day counts up at the owner
    hit_notices.notify_ids(nl.store, nl.analyst, found, "search", "case NL-2026-17")
    assert hit_notice_relay.deliver(nl.store, transport) == 1
    assert [n.hits for n in hit_notices.received(de.store, de.analyst)] == [2]
    # hits on NL's own records, or records NL wrote, queue nothing
    hit_notices.notify_ids(nl.store, nl.analyst, ["nl-kmar.q1"], "search")
    assert hit_notice_relay.deliver(nl.store, transport) == 0
    assert de.store.audit_verify().ok and nl.store.audit_verify().ok


def test_the_relay_delivers_within_a_second_of_the_hit(nodes: dict[str, Node]) -> None:
    """The hit's transaction wakes the relay's thread (it would otherwise sleep 30 s)."""
    de, nl = nodes["DE-BKA"], nodes["NL-KMAR"]
    transport = relay_to(nodes, [])
    worker = hit_notice_relay.start(nl.store, transport, 30.0)  # as `palermo serve` does
    times: list[float] = []
    try:
        while len(times) < 3 and not (times and times[-1] < 1.0):  # best of 3, as in
            time.sleep(0.2)  # test_node_messages: the relay is waiting
            before = sum(n.hits for n in hit_notices.received(de.store, de.analyst))
            started = time.monotonic()
            hit_notices.notify_ids(nl.store, nl.analyst, ["de-bka.p1"], "screening", "border")
            told = before
            while time.monotonic() - started < 5 and told == before:
                time.sleep(0.02)
                told = sum(n.hits for n in hit_notices.received(de.store, de.analyst))
            assert told == before + 1
            times.append(time.monotonic() - started)
    finally:
        worker.stop()
    # Woken, not polled (the interval is 30 s); its own thread and one peer client per
    # process (ADR 0035; docs/trust.md gives measured times under load).
    assert min(times) < 1.0, times


NOTICE = st.fixed_dictionaries(
    {
        "record_id": st.sampled_from(["de-bka.p1", "nl-kmar.q1", "de-bka.nope", "th-rtp.x"]),
        "owner": st.sampled_from(["DE-BKA", "NL-KMAR", "TH-RTP"]),
        "searcher_agency": st.sampled_from(["DE-BKA", "NL-KMAR", "TH-RTP"]),
        "channel": st.sampled_from(["search", "screening", "bogus"]),
        "purpose": st.none() | st.just("p"),
        "day": st.just("2026-11-29"),
        "hits": st.integers(0, 3),
        "at": st.just("2026-11-29T10:00:00+00:00"),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notices=st.lists(NOTICE, min_size=1, max_size=5), sender=st.sampled_from(["NL", "TH"]))
def test_a_node_records_only_notices_on_its_own_records_from_the_senders_agency(
    nodes: dict[str, Node], notices: list[dict[str, Any]], sender: str
) -> None:
    de = nodes["DE-BKA"]
    node = nodes["NL-KMAR" if sender == "NL" else "TH-RTP"]
    before = {(n.record_id, n.searcher_agency): n.hits for n in _all(de)}
    message = signed_message(hit_notice_relay.KIND, node, de, notices=notices)
    answer = hit_notice_relay.accept(de.store, message)
    after = {(n.record_id, n.searcher_agency): n.hits for n in _all(de)}
    changed = {k for k in after if after[k] != before.get(k)}
    allowed = {
        ("de-bka.p1", node.agency)
        for n in notices
        if n["owner"] == "DE-BKA"
        and n["searcher_agency"] == node.agency
        and n["record_id"] == "de-bka.p1"
        and n["channel"] != "bogus"
        and n["hits"] >= 1
    }
    assert changed <= allowed
    assert answer["recorded"] + answer["skipped"] == len(notices)


def _all(node: Node) -> list[hit_notices.Notice]:
    return hit_notices.received(node.store, node.analyst)
