"""Two agencies on two nodes: deconfliction -> joint case -> joint operation -> report.

DE-BKA and NL-KMAR each investigate, without knowing it, the same man (the same passport
number in both files, different names and ids). Each node keeps its selectors private (keyed
under its own secret) and runs a DH private set intersection with each peer; both learn of
the overlap - the other agency and their own case reference only. They open a joint case,
run an operation, report results on their own nodes, and after sync the after-action
report on DE's node shows both countries' results.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from palermo.coordination import cases, deconfliction, operations
from palermo.coordination.operations import Participant
from palermo.exchange import psi_exchange
from palermo.exchange.sync import sync_all
from palermo.ingest.build import build
from palermo.model.sharing import Sharing
from tests.exchange.nodes import Node, direct_transport, make_federation


def deconflict(nodes: dict[str, Node]) -> list[deconfliction.Hit]:
    """Every node runs a signed PSI round with every peer, each offer delivered to the
    peer's handler as the HTTP route would (a peer answers once a minute, so reset that)."""
    by_endpoint = {f"http://{n.node_id}": n for n in nodes.values()}

    def post(endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, psi_exchange.answer(by_endpoint[endpoint].store, body)

    found = []
    for node in nodes.values():
        psi_exchange._last_answer.clear()
        found += psi_exchange.run_all(node.store, post)
    return found


def sync(nodes: dict[str, Node]) -> None:
    transport = direct_transport(nodes)
    for _ in range(2):
        for node in nodes.values():
            sync_all(node.store, transport)


def suspect(node: Node, local: str, name: str, passport: str) -> str:
    person_id = f"{node.agency.lower()}.{local}"
    owner = Sharing.owner_only()
    stmts = build(node.agency, person_id, "Person", {"name": name}, owner)
    stmts += build(
        node.agency, f"{person_id}-pp", "Passport", {"holder": person_id, "number": passport}, owner
    )
    node.store.write(node.analyst, stmts)
    return person_id


def test_deconfliction_to_joint_operation(tmp_path: Path) -> None:
    nodes = make_federation(tmp_path)
    de, nl, th = nodes["DE-BKA"], nodes["NL-KMAR"], nodes["TH-RTP"]
    de_person = suspect(de, "s1", "Aleksandr Volkov", "75 3214 998")
    nl_person = suspect(nl, "x9", "Alexander Wolkow", "753214998")
    th_person = suspect(th, "t1", "Somchai", "AA1234567")
    de_case = cases.open_case(
        de.store,
        de.analyst,
        "BKA-ST-41",
        "Volkov network",
        "sexual-exploitation",
        subjects=[de_person],
    )
    nl_case = cases.open_case(
        nl.store,
        nl.analyst,
        "KMAR-2026-8",
        "Schiphol couriers",
        "sexual-exploitation",
        subjects=[nl_person],
    )
    th_case = cases.open_case(
        th.store, th.analyst, "RTP-1", "Other", "forced-labour", subjects=[th_person]
    )
    for node, case in ((de, de_case), (nl, nl_case), (th, th_case)):
        assert deconfliction.publish_case(node.store, node.analyst, case) == 1
    sync(nodes)
    found = deconflict(nodes)
    assert sorted((h.selector_type, h.agencies) for h in found) == [
        ("document", ("DE-BKA", "NL-KMAR")),
        ("document", ("DE-BKA", "NL-KMAR")),
    ]
    assert deconflict(nodes) == []  # told once
    sync(nodes)
    own = [(de, "BKA-ST-41", de_case, "NL-KMAR"), (nl, "KMAR-2026-8", nl_case, "DE-BKA")]
    for node, reference, case_id, other in own:  # the other agency, own case only
        (hit,) = deconfliction.hits(node.store, node.analyst)
        assert hit.case_references == (f"{node.agency}:{reference}",)
        assert (hit.case_id, hit.other_agency) == (case_id, other)
    assert deconfliction.hits(th.store, th.analyst) == []
    # nothing else leaked: NL cannot read DE's case, suspect or passport, nor the number,
    # and no selector or hit travelled as a statement
    for entity_id in (de_case, de_person, f"{de_person}-pp"):
        assert nl.store.entity(nl.analyst, entity_id) is None
    for node in nodes.values():
        for schema in ("DeconflictionSelector", "DeconflictionHit"):
            held = node.store.entities(node.analyst, schema=schema)
            assert {e.id.split(".", 1)[0] for e in held} <= {node.agency.lower()}
            assert all("BKA-ST-41" not in str(e.to_ftm()) for e in held if node is not de)

    joint = cases.open_case(
        de.store,
        de.analyst,
        "JIT-DE-NL-1",
        "Joint: Volkov network",
        "sexual-exploitation",
        subjects=[de_person],
        team={"NL-KMAR": "member"},
    )
    action = datetime(2026, 12, 3, 5, 30, tzinfo=UTC)
    op = operations.plan_operation(
        de.store,
        de.analyst,
        "Action day Volkov",
        [
            Participant("DE-BKA", "DE", "Europe/Berlin"),
            Participant("NL-KMAR", "NL", "Europe/Amsterdam"),
        ],
        action,
        targets=[de_person],
        case_id=joint,
    )
    sync(nodes)
    assert nl.store.entity(nl.analyst, joint) is not None
    operations.report_result(
        nl.store, nl.analyst, op, "NL", arrests=2, victimsRescued=3, documentsSeized=4
    )
    operations.report_result(
        de.store,
        de.analyst,
        op,
        "DE",
        arrests=5,
        victimsIdentified=6,
        victimsRescued=6,
        checksPerformed=120,
    )
    sync(nodes)
    report = operations.after_action_report(de.store, de.analyst, op)
    assert "| DE | 5 | 6 | 6 | 0 | 120 |" in report
    assert "| NL | 2 | 0 | 3 | 4 | 0 |" in report
    assert "| **total** | 7 | 6 | 9 | 4 | 120 |" in report
    assert th.store.entity(th.analyst, op) is None
