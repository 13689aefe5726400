"""Generating a world: network by network, each agency's view streamed to its own file.

Memory stays flat: one network lives in memory at a time. Output is byte-identical for a
seed: each network has its own ``Random(f"{seed}:{n}")``, and nothing depends on set order,
time or the environment.
"""

from __future__ import annotations

import csv
import itertools
import json
import random
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from palermo.world.agencies import AGENCIES, AgencySpec
from palermo.world.court import COURT_HEADER, PROSECUTING_KINDS, Defendant, court_outcome, truth_row
from palermo.world.people import Network, TruePerson, make_network, situate
from palermo.world.places import near
from palermo.world.views import (
    RECORD_PREFIX,
    Record,
    Scene,
    border_records,
    document_report,
    holds,
    person_record,
    sharing,
    victim_records,
)

PREFIX = RECORD_PREFIX


@dataclass
class WorldSummary:
    persons: int = 0
    networks: int = 0
    records: dict[str, int] = field(default_factory=dict)


class Writers:
    """Per-agency entity files and the ground-truth files, opened once."""

    def __init__(self, out: Path, stack: ExitStack) -> None:
        self.entities: dict[str, IO[str]] = {}
        for agency in AGENCIES:
            (out / agency.code).mkdir(parents=True, exist_ok=True)
            path = out / agency.code / "entities.ftm.json"
            self.entities[agency.code] = stack.enter_context(path.open("w", encoding="utf-8"))
        (out / "truth").mkdir(parents=True, exist_ok=True)
        self.records = csv.writer(
            stack.enter_context(
                (out / "truth" / "records.csv").open("w", encoding="utf-8", newline="")
            )
        )
        self.people = csv.writer(
            stack.enter_context(
                (out / "truth" / "persons.csv").open("w", encoding="utf-8", newline="")
            )
        )
        self.networks = csv.writer(
            stack.enter_context(
                (out / "truth" / "networks.csv").open("w", encoding="utf-8", newline="")
            )
        )
        self.court = csv.writer(
            stack.enter_context(
                (out / "truth" / "court.csv").open("w", encoding="utf-8", newline="")
            )
        )
        self.court.writerow(COURT_HEADER)
        self.records.writerow(["agency", "record_id", "schema", "true_id", "network_id", "role"])
        self.people.writerow(
            [
                "true_id",
                "network_id",
                "role",
                "sex",
                "birth_date",
                "nationality",
                "given_name",
                "family_name",
                "passport",
                "passport_status",
            ]
        )
        self.networks.writerow(
            [
                "network_id",
                "origin",
                "transit",
                "destination",
                "form",
                "year",
                "recruitment_place",
                "exploitation_place",
            ]
        )


def generate(
    out: Path, persons: int, seed: int, progress: Callable[[int], None] | None = None
) -> WorldSummary:
    out.mkdir(parents=True, exist_ok=True)
    write_agencies(out / "agencies.json")
    summary = WorldSummary(records={a.code: 0 for a in AGENCIES})
    counters = {a.code: 0 for a in AGENCIES}
    with ExitStack() as stack:
        writers = Writers(out, stack)
        number = 0
        defendants: list[list[Defendant]] = []  # per network, for the court outcomes
        while summary.persons < persons:
            rng = random.Random(f"{seed}:{number}")
            victims = max(1, min(rng.randint(3, 12), persons - summary.persons - 6))
            network = make_network(rng, number, victims)
            network.people = network.people[: persons - summary.persons]
            scene = Scene(
                random.Random(f"{seed}:{number}:side"),
                recruiter_phones=[p.phone for p in network.people if p.role == "recruiter"],
                salt=f"{seed}:{number}",
            )
            situate(scene.side, network)
            held = write_network(rng, scene, network, writers, counters, summary)
            defendants.append(suspects_held(network, held))
            summary.persons += len(network.people)
            summary.networks += 1
            number += 1
            if progress is not None:
                progress(summary.persons)
        write_court_outcomes(seed, defendants, writers, summary)
    return summary


def suspects_held(
    network: Network, held: dict[str, list[tuple[TruePerson, str]]]
) -> list[Defendant]:
    """The suspects of one network that a prosecuting agency holds a record of."""
    return [
        Defendant(agency, person, local, network.year, network.form)
        for agency in AGENCIES
        if agency.kind in PROSECUTING_KINDS
        for person, local in held.get(agency.code, [])
        if not person.is_victim
    ]


def write_court_outcomes(
    seed: int, defendants: list[list[Defendant]], writers: Writers, summary: WorldSummary
) -> None:
    """Court outcomes, after everything else and on each network's own ``:court`` stream,
    so that every record written before them is what it was before they existed."""
    for number, group in enumerate(defendants):
        rng = random.Random(f"{seed}:{number}:court")
        scene = Scene(rng, salt=f"{seed}:{number}")
        for d in group:
            record = court_outcome(rng, scene, d)
            if record is not None:
                emit(writers, d.agency, record, d.person, summary)
                writers.court.writerow(truth_row(record, d))


def write_network(
    rng: random.Random,
    scene: Scene,
    network: Network,
    writers: Writers,
    counters: dict[str, int],
    summary: WorldSummary,
) -> dict[str, list[tuple[TruePerson, str]]]:
    """Write one network; returns, per agency, the people it holds and their record ids."""
    route = network.route
    writers.networks.writerow(
        [
            network.id,
            route.origin,
            "|".join(route.transit),
            route.destination,
            network.form,
            network.year,
            network.recruitment.name if network.recruitment else "",
            network.exploitation.name if network.exploitation else "",
        ]
    )
    held: dict[str, list[tuple[TruePerson, str]]] = {}
    for person in network.people:
        writers.people.writerow(
            [
                person.id,
                network.id,
                person.role,
                person.sex,
                person.birth,
                person.nationality,
                person.given[1][0],
                person.family[1][0],
                person.passport,
                person.passport_status,
            ]
        )
        for agency in AGENCIES:
            if not holds(rng, agency, person):
                continue
            counters[agency.code] += 1
            local = f"{PREFIX[agency.code]}{counters[agency.code]:07d}"
            held.setdefault(agency.code, []).append((person, local))
            for record in person_records(rng, scene, agency, person, network, local):
                emit(writers, agency, record, person, summary)
    for code, people in held.items():
        agency = next(a for a in AGENCIES if a.code == code)
        for record, person in network_links(rng, scene, agency, network, people):
            emit(writers, agency, record, person, summary)
    return held


def person_records(
    rng: random.Random,
    scene: Scene,
    agency: AgencySpec,
    person: TruePerson,
    network: Network,
    local: str,
) -> list[Record]:
    records = [person_record(rng, scene, agency, person, network, local)]
    if agency.kind == "border" and (person.is_victim or person.role == "transporter"):
        records += border_records(rng, scene, agency, person, network, local, 1)
    if person.is_victim and agency.kind in ("police", "ngo", "labour"):
        records += victim_records(rng, scene, agency, person, network, local)
    if (
        agency.country == person.nationality
        and person.passport_status in ("stolen", "lost")
        and agency.kind == "police"
    ):
        doc = f"{local}-PP"
        records.append(
            {
                "id": doc,
                "schema": "Passport",
                "sharing": {"scope": "all"},
                "properties": {
                    "number": [person.passport],
                    "holder": [local],
                    "country": [person.nationality.lower()],
                },
            }
        )
        records.append(
            document_report(rng, agency, doc, person, person.passport_status, f"{local}-DR")
        )
    return records


def network_links(
    rng: random.Random,
    scene: Scene,
    agency: AgencySpec,
    network: Network,
    people: list[tuple[TruePerson, str]],
) -> list[tuple[Record, TruePerson]]:
    """What a police or labour agency knows of how the people it holds hang together."""
    if agency.kind not in ("police", "labour", "ngo"):
        return []
    if agency.kind == "ngo":
        return recruiter_phones(scene, agency, [(p, lo) for p, lo in people if p.is_victim])
    suspects = [(p, local) for p, local in people if not p.is_victim]
    out = victim_links(scene, agency, people)
    for (a, la), (_, lb) in itertools.pairwise(suspects):
        out.append(
            (
                {
                    "id": f"{la}-A-{lb}",
                    "schema": "Associate",
                    "sharing": sharing(rng, agency),
                    "properties": {
                        "person": [la],
                        "associate": [lb],
                        "relationship": ["co-offender"],
                    },
                },
                a,
            )
        )
    exploiters = [(p, lo) for p, lo in suspects if p.role == "exploiter"]
    movers = [(p, lo) for p, lo in suspects if p.role == "money-mover"]
    for (e, le), (_, lm) in zip(exploiters, movers, strict=False):
        out.append(
            (
                {
                    "id": f"{le}-PAY-{lm}",
                    "schema": "Payment",
                    "sharing": sharing(rng, agency),
                    "properties": {
                        "payer": [le],
                        "beneficiary": [lm],
                        "amount": [str(rng.randint(500, 20000))],
                        "currency": ["EUR"],
                        "date": [f"2025-{rng.randint(1, 12):02d}-01"],
                    },
                },
                e,
            )
        )
    for p, local in suspects:
        if p.role == "transporter":
            out.append(
                (
                    {
                        "id": f"{local}-VEH",
                        "schema": "Vehicle",
                        "sharing": sharing(rng, agency),
                        "properties": {"registrationNumber": [network.vehicle], "owner": [local]},
                    },
                    p,
                )
            )
        if p.role == "money-mover":
            account = f"{local}-ACC"
            out.append(
                (
                    {
                        "id": account,
                        "schema": "BankAccount",
                        "sharing": sharing(rng, agency),
                        "properties": {
                            "iban": [network.iban],
                            "country": [network.route.destination.lower()],
                        },
                    },
                    p,
                )
            )
            out.append(
                (
                    {
                        "id": f"{local}-OWN",
                        "schema": "Ownership",
                        "sharing": sharing(rng, agency),
                        "properties": {"owner": [local], "asset": [account]},
                    },
                    p,
                )
            )
        if p.role == "exploiter":
            out.append(
                (
                    {
                        "id": f"{local}-ADDR",
                        "schema": "Address",
                        "sharing": sharing(rng, agency),
                        "properties": {
                            "full": [network.address],
                            "country": [network.route.destination.lower()],
                            **coordinates(scene, network),
                        },
                    },
                    p,
                )
            )
    return out


def coordinates(scene: Scene, network: Network) -> dict[str, list[str]]:
    if network.exploitation is None:
        return {}
    lat, lon = near(scene.side, network.exploitation)
    return {"latitude": [str(lat)], "longitude": [str(lon)], "city": [network.exploitation.name]}


def victim_links(
    scene: Scene, agency: AgencySpec, people: list[tuple[TruePerson, str]]
) -> list[tuple[Record, TruePerson]]:
    """Who recruited and who exploited a victim, when the victim's statement names them;
    for labour inspectors, who employs the victim; the recruiter's phone number."""
    out: list[tuple[Record, TruePerson]] = []
    victims = [(p, lo) for p, lo in people if p.is_victim]
    out += employment_links(scene, agency, people, victims)
    out += recruiter_phones(scene, agency, victims)
    for relation, role in (("recruited-by", "recruiter"), ("exploited-by", "exploiter")):
        offenders = [lo for p, lo in people if p.role == role]
        for victim, local in victims:
            if not offenders or scene.side.random() >= 0.5:
                continue
            other = offenders[scene.side.randrange(len(offenders))]
            record = {
                "id": scene.opaque_id(agency, relation, local, other),
                "schema": "Associate",
                "sharing": sharing(scene.side, agency, victim_data=True),
                "properties": {"person": [local], "associate": [other], "relationship": [relation]},
            }
            out.append((record, victim))
    return out


def employment_links(
    scene: Scene,
    agency: AgencySpec,
    people: list[tuple[TruePerson, str]],
    victims: list[tuple[TruePerson, str]],
) -> list[tuple[Record, TruePerson]]:
    employers = [lo for p, lo in people if p.role == "exploiter"]
    if agency.kind != "labour" or not employers:
        return []
    out: list[tuple[Record, TruePerson]] = []
    for victim, local in victims:
        if scene.side.random() < 0.85:
            employer = employers[scene.side.randrange(len(employers))]
            record = {
                "id": scene.opaque_id(agency, "EMP", local),
                "schema": "Employment",
                "sharing": sharing(scene.side, agency),
                "properties": {"employer": [employer], "employee": [local], "role": ["worker"]},
            }
            out.append((record, victim))
    return out


def recruiter_phones(
    scene: Scene, agency: AgencySpec, victims: list[tuple[TruePerson, str]]
) -> list[tuple[Record, TruePerson]]:
    """The number the victim was recruited from, as the victim gave it in a statement."""
    out: list[tuple[Record, TruePerson]] = []
    for victim, local in victims:
        if scene.side.random() >= 0.5 or not scene.recruiter_phones:
            continue
        number = scene.recruiter_phones[scene.side.randrange(len(scene.recruiter_phones))]
        handling = sharing(scene.side, agency, victim_data=True)
        phone = scene.opaque_id(agency, "RPH", local)
        out.append(
            (
                {
                    "id": phone,
                    "schema": "Phone",
                    "sharing": handling,
                    "properties": {"number": [number]},
                },
                victim,
            )
        )
        out.append(
            (
                {
                    "id": scene.opaque_id(agency, "RPH-L", local),
                    "schema": "UnknownLink",
                    "sharing": handling,
                    "properties": {
                        "subject": [local],
                        "object": [phone],
                        "role": ["recruiter's number, from the victim's statement"],
                    },
                },
                victim,
            )
        )
    return out


def emit(
    writers: Writers, agency: AgencySpec, record: Record, person: TruePerson, summary: WorldSummary
) -> None:
    writers.entities[agency.code].write(
        json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
    )
    writers.records.writerow(
        [agency.code, record["id"], record["schema"], person.id, person.network, person.role]
    )
    summary.records[agency.code] += 1


def write_agencies(path: Path) -> None:
    data: list[dict[str, Any]] = []
    for a in AGENCIES:
        users = [{"username": f"analyst-{a.code.lower()}", "roles": ["analyst", "officer"]}]
        if a.kind in ("police", "ngo"):
            users.append(
                {"username": f"support-{a.code.lower()}", "roles": ["victim-support", "analyst"]}
            )
        if a.kind == "police":  # approves red and yellow notices (four eyes)
            users.append(
                {"username": f"supervisor-{a.code.lower()}", "roles": ["supervisor", "analyst"]}
            )
        data.append(
            {
                "code": a.code,
                "name": a.name,
                "country": a.country,
                "kind": a.kind,
                "groups": list(a.groups),
                "users": users,
            }
        )
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
