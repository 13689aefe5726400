"""Two agencies on two nodes: deconfliction -> joint case -> joint operation -> report.

DE-BKA and NL-KMAR each investigate, without knowing it, the same man (the same passport
number in both files, different names and ids). Their nodes publish keyed selectors, sync,
and both learn of the overlap - agency and case reference only. They open a joint case,
run an operation, report results on their own nodes, and after sync the after-action
report on DE's node shows both countries' results.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from palermo.coordination import cases, deconfliction, operations
from palermo.coordination.operations import Participant
from palermo.exchange.sync import sync_all
from palermo.ingest.build import build
from palermo.model.sharing import Sharing
from tests.exchange.nodes import Node, direct_transport, make_federation

KEY = b"test-network-key"


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
        assert deconfliction.publish_case(node.store, node.analyst, case, KEY) == 1
    sync(nodes)
    found = deconfliction.detect(de.store, de.analyst)
    assert [(h.selector_type, h.agencies) for h in found] == [("document", ("DE-BKA", "NL-KMAR"))]
    sync(nodes)
    for node in (de, nl):  # both learn at once: agency and case reference only
        (hit,) = deconfliction.hits(node.store, node.analyst)
        assert hit.case_references == ("DE-BKA:BKA-ST-41", "NL-KMAR:KMAR-2026-8")
    assert deconfliction.hits(th.store, th.analyst) == []
    # nothing else leaked: NL cannot read DE's case, suspect or passport, nor the number
    for entity_id in (de_case, de_person, f"{de_person}-pp"):
        assert nl.store.entity(nl.analyst, entity_id) is None
    selectors = nl.store.entities(nl.analyst, schema="DeconflictionSelector")
    assert all("753214998" not in str(s.to_ftm()) for s in selectors)

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
