"""What one agency records about one true person: its own ids, spelling, gaps and errors."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from palermo.world.agencies import COVERAGE, CROSSING_POINTS, AgencySpec
from palermo.world.mrz import td3
from palermo.world.noise import noisy_date, typo
from palermo.world.people import Network, TruePerson, iso3

Record = dict[str, Any]

INDICATORS = {
    "sexual": (
        "ilo-physical-sexual-violence",
        "unodc-no-access-to-earnings",
        "ilo-debt-bondage",
        "ilo-restriction-of-movement",
    ),
    "forced-labour": (
        "ilo-withholding-of-wages",
        "ilo-excessive-overtime",
        "ilo-retention-of-documents",
        "ilo-abusive-conditions",
        "ilo-debt-bondage",
    ),
    "other": (
        "ilo-deception",
        "ilo-isolation",
        "ilo-intimidation-threats",
        "unodc-fear-of-authorities",
        "ilo-abuse-of-vulnerability",
    ),
}


def holds(rng: random.Random, agency: AgencySpec, person: TruePerson) -> bool:
    """The agency rule: it may only know people who touched its country, and not all of them."""
    if agency.country not in person.touch:
        return False
    return rng.random() < COVERAGE[agency.kind].get(person.role, 0.0)


def sharing(rng: random.Random, agency: AgencySpec, victim_data: bool = False) -> dict[str, Any]:
    scopes, weights = zip(*agency.scopes, strict=True)
    scope = rng.choices(scopes, weights=weights)[0]
    return {"scope": scope, "handling": ["victim-sensitive"] if victim_data else []}


def spelled_name(rng: random.Random, agency: AgencySpec, person: TruePerson) -> str:
    culture = person.culture
    if agency.native_script and culture.code == agency.country:
        given, family = person.given[0], person.family[0]
        return f"{family}{given}" if culture.script == "Han" else f"{given} {family}"
    passport_style = agency.kind == "border"
    given = person.given[1][0] if passport_style else rng.choice(person.given[1])
    family = person.family[1][0] if passport_style else rng.choice(person.family[1])
    if passport_style:
        return f"{family.upper()} {given.upper()}"
    if culture.family_first or rng.random() < 0.2:
        name = f"{family.upper() if rng.random() < 0.5 else family} {given}"
    else:
        name = f"{given} {family}"
    return typo(rng, name) if rng.random() < 0.08 else name


def person_record(rng: random.Random, agency: AgencySpec, person: TruePerson, local: str) -> Record:
    props: dict[str, list[str]] = {"name": [spelled_name(rng, agency, person)]}
    if (
        person.culture.script != "Latin"
        and person.culture.code != agency.country
        and rng.random() < 0.6
    ):
        props["alias"] = [f"{person.given[0]} {person.family[0]}"]
    missing = 0.4 if agency.kind == "ngo" else 0.12
    if rng.random() > missing:
        props["birthDate"] = [noisy_date(rng, person.birth)]
    if rng.random() > 0.1:
        props["nationality"] = [person.nationality.lower()]
    if rng.random() > 0.1:
        props["gender"] = [person.sex]
    if agency.kind == "border" or rng.random() < 0.3:
        props["passportNumber"] = [person.passport]
    if not person.is_victim:
        if rng.random() < 0.7:
            props["phone"] = [person.phone]
        if agency.kind in ("police", "labour"):
            props["topics"] = ["crime.traffick.human"]
    return {
        "id": local,
        "schema": "Person",
        "properties": props,
        "sharing": sharing(rng, agency, victim_data=agency.kind == "ngo"),
    }


def border_records(
    rng: random.Random,
    agency: AgencySpec,
    person: TruePerson,
    network: Network,
    local: str,
    seq: int,
) -> Iterator[Record]:
    """A passport with its MRZ as read at the gate, and the crossing itself."""
    g, f = person.given[1][0], person.family[1][0]
    expiry = f"{2027 + rng.randint(0, 8)}-{person.birth[5:10]}"
    sex = {"female": "F", "male": "M"}[person.sex]
    line1, line2 = td3(
        iso3(person.nationality),
        f,
        g,
        person.passport,
        iso3(person.nationality),
        person.birth,
        sex,
        expiry,
        broken=person.passport_status == "forged",
    )
    doc = f"{local}-PP"
    yield {
        "id": doc,
        "schema": "Passport",
        "sharing": sharing(rng, agency),
        "properties": {
            "number": [person.passport],
            "holder": [local],
            "country": [person.nationality.lower()],
            "summary": [f"{line1}\n{line2}"],
            "endDate": [expiry],
        },
    }
    month = rng.randint(1, 12)
    point = rng.choice(CROSSING_POINTS.get(agency.country, ("XXX",)))
    route = network.route
    trip = f"{local}-T{seq}"
    yield {
        "id": trip,
        "schema": "Trip",
        "sharing": sharing(rng, agency),
        "properties": {
            "name": [" -> ".join((route.origin, *route.transit, route.destination))],
            "date": [f"2025-{month:02d}-01"],
        },
    }
    yield {
        "id": f"{local}-X{seq}",
        "schema": "BorderCrossing",
        "sharing": sharing(rng, agency),
        "properties": {
            "traveller": [local],
            "document": [doc],
            "trip": [trip],
            "crossingPoint": [point],
            "direction": ["entry"],
            "date": [f"2025-{month:02d}-{rng.randint(1, 28):02d}"],
            "fromCountry": [network.route.origin.lower()],
            "toCountry": [agency.country.lower()],
        },
    }
    if person.passport_status == "forged" and rng.random() < 0.4:
        yield document_report(rng, agency, doc, person, "forged", f"{local}-DR")


def document_report(
    rng: random.Random, agency: AgencySpec, doc: str, person: TruePerson, status: str, local: str
) -> Record:
    return {
        "id": local,
        "schema": "DocumentReport",
        "sharing": {"scope": "all", "handling": []},
        "properties": {
            "document": [doc],
            "reportStatus": [status],
            "documentNumber": [person.passport],
            "country": [person.nationality.lower()],
            "date": [f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"],
        },
    }


def victim_record(
    rng: random.Random, agency: AgencySpec, person: TruePerson, network: Network, local: str
) -> Record:
    family = (
        "sexual"
        if network.form == "sexual"
        else ("forced-labour" if network.form.startswith("forced-labour") else "other")
    )
    indicators = rng.sample(INDICATORS[family], k=2) + rng.sample(INDICATORS["other"], k=1)
    minor = int(person.birth[:4]) > 2026 - 18
    consent = rng.choice(("none", "none", "agency", "partners"))
    return {
        "id": f"{local}-VR",
        "schema": "VictimRecord",
        "sharing": {
            "scope": "owner" if consent in ("none", "agency") else sharing(rng, agency)["scope"],
            "handling": ["victim-sensitive"],
        },
        "properties": {
            "victim": [local],
            "identificationStatus": ["identified"],
            "exploitationForm": [network.form],
            "recruitmentCountry": [network.route.origin.lower()],
            "exploitationCountry": [network.route.destination.lower()],
            "isMinor": ["true" if minor else "false"],
            "consent": [consent],
            "indicators": sorted(indicators),
            "nonPunishment": ["true"],
            "reTraffickingRisk": [rng.choice(("low", "medium", "high"))],
        },
    }
