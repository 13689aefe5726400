"""The demo's coordination story, played on a loaded world with the real workflows.

DE-BKA and NL-KMAR each open a case on the same trafficker without knowing of the other;
deconfliction tells both. They open a joint case, plan an action day, report results;
DE-BKA asks the Netherlands for legal assistance; the Dutch NGO refers a victim to a
shelter; NG-NAPTIP issues a Yellow notice for a missing victim; agencies message each other.
Everything goes through the same functions the API calls, so the demo shows real behaviour
and the browser tests have something to click.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from palermo.coordination import cases, deconfliction, mla, operations, victims
from palermo.coordination.legal import Facts
from palermo.coordination.operations import Participant
from palermo.exchange.messages import send_message
from palermo.exchange.notices import approve_notice, issue_notice
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store


@dataclass
class ScenarioResult:
    cases: dict[str, str]
    hits: int
    operation: str
    mla_request: str
    referral: str | None
    notice: str | None


def _kmar_suspect(store: Store) -> tuple[str, str, str]:
    """A traveller NL-KMAR holds with a passport: (record id, name, passport number)."""
    viewer = store.viewer("analyst-nl-kmar")
    for person in store.export(viewer, schema="Person", batch=500):
        number, name = person.first("passportNumber"), person.first("name")
        if number and name and "NL-KMAR" in person.agencies:
            return person.id, name, number
    raise ValueError("world: NL-KMAR holds no traveller with a passport")


def play(store: Store, today: date | None = None) -> ScenarioResult:
    today = today or datetime.now(UTC).date()
    bka, kmar = store.viewer("analyst-de-bka"), store.viewer("analyst-nl-kmar")
    kmar_id, name, passport = _kmar_suspect(store)
    # An informant gives DE-BKA the same man's passport number: a record of its own.
    bka_id = write_entity(
        store,
        bka,
        "Person",
        {"name": name, "passportNumber": passport, "topics": "crime.traffick.human"},
        Sharing(),
        kind="suspect",
    )
    bka_case = cases.open_case(
        store, bka, "BKA-2026-0417", "Operation Nordlicht", "sexual", [bka_id]
    )
    kmar_case = cases.open_case(store, kmar, "KMAR-2026-88", "Schiphol route", "sexual", [kmar_id])
    for viewer, case in ((bka, bka_case), (kmar, kmar_case)):
        deconfliction.publish_case(store, viewer, case)  # the second one records the hit
    found = deconfliction.hits(store, bka) + deconfliction.hits(store, kmar)
    joint = cases.open_case(
        store,
        bka,
        "JIT-DE-NL-2026-1",
        "Joint case DE/NL",
        "sexual",
        [bka_id],
        {"NL-KMAR": "member"},
    )
    cases.add_task(store, bka, joint, "Check travel history at Schiphol", "NL-KMAR")
    action = datetime.combine(today + timedelta(days=7), datetime.min.time(), UTC)
    operation = operations.plan_operation(
        store,
        bka,
        "Action day Nordlicht",
        [
            Participant("DE-BKA", "DE", "Europe/Berlin"),
            Participant("NL-KMAR", "NL", "Europe/Amsterdam"),
        ],
        action.replace(hour=4),
        targets=[bka_id],
        case_id=joint,
    )
    operations.report_result(store, bka, operation, "DE", arrests=2, victimsRescued=3)
    operations.report_result(store, kmar, operation, "NL", arrests=1, victimsRescued=1)
    request = mla.create_request(
        store,
        bka,
        "MLA-DE-NL-2026-7",
        "DE",
        "NL",
        "NL-KMAR",
        "evidence",
        "EU Directive 2014/41 (European Investigation Order)",
        today + timedelta(days=30),
        Facts(
            frozenset({"recruitment"}), frozenset({"deception"}), frozenset({"sexual-exploitation"})
        ),
        case_id=joint,
    )
    send_message(store, bka, "NL-KMAR", "Joint case opened", f"See case {joint}.", about=[joint])
    return ScenarioResult(
        {"DE-BKA": bka_case, "NL-KMAR": kmar_case, "joint": joint},
        len(found),
        operation,
        request,
        _referral(store),
        _notice(store),
    )


def _referral(store: Store) -> str | None:
    ngo = store.viewer("support-nl-ngo-fairwork")
    record = next(iter(store.export(ngo, schema="VictimRecord", batch=50)), None)
    if record is None or "NL-NGO-FAIRWORK" not in record.agencies:
        return None
    return victims.refer(store, ngo, record.id, "shelter", "Shelter Amsterdam")


def _notice(store: Store) -> str | None:
    naptip = store.viewer("analyst-ng-naptip")
    person = next(iter(store.export(naptip, schema="Person", batch=50)), None)
    if person is None:
        return None
    notice = issue_notice(
        store, naptip, "yellow", person.id, "Missing since recruitment in Benin City"
    )
    supervisor = store.user("supervisor-ng-naptip")
    if supervisor is not None:  # an officer's yellow notice waits for a supervisor's approval
        approve_notice(store, supervisor.viewer(), notice)
    return notice
