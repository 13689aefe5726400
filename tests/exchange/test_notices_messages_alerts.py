"""Notices, messages and alerts travel through exchange and respect sharing."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.exchange import alerts, messages, notices
from palermo.exchange.sync import sync_all
from palermo.model.sharing import Sharing
from tests.exchange.nodes import Node, direct_transport, make_federation
from tests.store.factories import SYSTEM, person


def sync(nodes: dict[str, Node]) -> None:
    transport = direct_transport(nodes)
    for _ in range(2):
        for node in nodes.values():
            sync_all(node.store, transport)


@pytest.fixture
def nodes(tmp_path: Path) -> dict[str, Node]:
    nodes = make_federation(tmp_path)
    de = nodes["DE-BKA"]
    de.store.write(
        de.analyst, person("DE-BKA", "p1", Sharing.parse("group:EU"), name="Ivan Petrov")
    )
    return nodes


def test_notices_publish_to_their_group_and_withdraw_everywhere(nodes: dict[str, Node]) -> None:
    de, nl, th = nodes["DE-BKA"], nodes["NL-KMAR"], nodes["TH-RTP"]
    # Issuing is an officer's act; a supervisor's red/yellow notice is active at once.
    chief = de.store.add_user(SYSTEM, "chief-de-bka", "DE-BKA", "officer,supervisor").viewer()
    red = notices.issue_notice(
        de.store,
        chief,
        "red",
        "de-bka.p1",
        "wanted for trafficking",
        Sharing.parse("group:EU"),
    )
    yellow = notices.issue_notice(
        de.store,
        chief,
        "yellow",
        "de-bka.p1",
        "missing",
        Sharing.to_all(),
        expires=date.today() - timedelta(days=1),
    )
    sync(nodes)
    assert [n.id for n in notices.active_notices(nl.store, nl.analyst)] == [red]
    assert notices.active_notices(th.store, th.analyst) == []  # red is EU-only, yellow expired
    expired = th.store.entity(th.analyst, yellow)
    assert expired is not None and notices.status_of(expired) == notices.EXPIRED
    notices.withdraw_notice(de.store, chief, red)
    sync(nodes)
    assert notices.active_notices(nl.store, nl.analyst) == []
    with pytest.raises(ValueError, match="notice_type"):
        notices.issue_notice(de.store, chief, "pink", "de-bka.p1", "x")


def test_messages_reach_only_the_recipient_and_receipts_come_back(nodes: dict[str, Node]) -> None:
    de, nl, th = nodes["DE-BKA"], nodes["NL-KMAR"], nodes["TH-RTP"]
    pdf = messages.FileAttachment("passport-scan.pdf", b"%PDF-1.4 fake scan bytes")
    msg = messages.send_message(
        de.store,
        de.analyst,
        "NL-KMAR",
        "RFI: Ivan Petrov",
        "Did this person cross at Schiphol?",
        about=["de-bka.p1"],
        attachments=[pdf],
    )
    sync(nodes)
    inbox = messages.inbox(nl.store, nl.analyst)
    assert [m.id for m in inbox] == [msg] and inbox[0].values("about") == ["de-bka.p1"]
    assert messages.attachments_of(nl.store, nl.analyst, msg) == [
        messages.FileAttachment("passport-scan.pdf", pdf.content, "application/pdf")
    ]
    assert messages.inbox(th.store, th.analyst) == []
    assert th.store.entity(th.analyst, msg) is None
    messages.mark_read(nl.store, nl.analyst, msg)
    reply = messages.send_message(
        nl.store, nl.analyst, "DE-BKA", "Re: RFI", "Yes, 2026-10-02", kind="reply", in_reply_to=msg
    )
    sync(nodes)
    assert messages.receipts(de.store, de.analyst, msg) == ["analyst-nl-kmar@NL-KMAR"]
    got = de.store.entity(de.analyst, reply)
    assert got is not None and got.values("inReplyTo") == [msg]


def test_alerts_fire_only_for_data_the_subscriber_may_see(nodes: dict[str, Node]) -> None:
    de, nl, th = nodes["DE-BKA"], nodes["NL-KMAR"], nodes["TH-RTP"]
    sub_nl = alerts.subscribe(nl.store, nl.analyst, "name", "petrov ivan")
    alerts.subscribe(th.store, th.analyst, "name", "Ivan Petrov")
    alerts.subscribe(nl.store, nl.analyst, "document", "X1234567")
    de.store.write(de.analyst, person("DE-BKA", "pp1", Sharing.to_all(), name="PETROV, Ivan"))
    sync(nodes)
    nl_alerts = alerts.scan(nl.store)
    assert {a.entity_id for a in nl_alerts} == {"de-bka.p1", "de-bka.pp1"}
    assert all(a.subscription_id == sub_nl for a in nl_alerts)
    th_alerts = alerts.scan(th.store)
    assert {a.entity_id for a in th_alerts} == {"de-bka.pp1"}  # p1 is EU-only
    assert alerts.scan(nl.store) == []  # nothing new, nothing repeated


def test_alert_stream_pushes_server_sent_events(nodes: dict[str, Node]) -> None:
    nl = nodes["NL-KMAR"]
    alerts.subscribe(nl.store, nl.analyst, "entity", "nl-kmar.watch")
    nl.store.write(nl.analyst, person("NL-KMAR", "watch", Sharing.owner_only(), name="Watched"))
    alerts.scan(nl.store)
    token = nl.store.create_token(SYSTEM, nl.analyst.username, "sse")
    client = TestClient(create_app(nl.store))
    headers = {"Authorization": f"Bearer {token}"}
    with client.stream("GET", "/api/v1/alerts/stream", headers=headers) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = []
        for line in response.iter_lines():
            lines.append(line)
            if line.startswith("data:"):
                break
    event = json.loads(lines[-1][len("data:") :])
    assert event["entity_id"] == "nl-kmar.watch" and "Watched" in event["summary"]


def nats_running() -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", 4222)) == 0


@pytest.mark.skipif(not nats_running(), reason="no NATS server on 127.0.0.1:4222")
def test_alerts_are_published_to_nats(nodes: dict[str, Node]) -> None:
    import nats

    nl = nodes["NL-KMAR"]
    alerts.subscribe(nl.store, nl.analyst, "entity", "nl-kmar.n1")
    received: list[dict[str, object]] = []

    async def scenario() -> None:
        client = await nats.connect("nats://127.0.0.1:4222")
        sub = await client.subscribe(f"palermo.alerts.{nl.analyst.username}")
        await client.flush()
        nl.store.write(nl.analyst, person("NL-KMAR", "n1", Sharing.owner_only(), name="N One"))
        publish = alerts.nats_publisher("nats://127.0.0.1:4222")
        await asyncio.to_thread(alerts.scan, nl.store, publish)
        msg = await sub.next_msg(timeout=5)
        received.append(json.loads(msg.data))
        await client.drain()

    asyncio.run(scenario())
    assert received[0]["entity_id"] == "nl-kmar.n1"
