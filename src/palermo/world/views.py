"""What one agency records about one true person: its own ids, spelling, gaps and errors."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from palermo.world.agencies import COVERAGE, CROSSING_POINTS, AgencySpec
from palermo.world.mrz import td3
from palermo.world.noise import noisy_date, typo
from palermo.world.people import Network, TruePerson, iso3
from palermo.world.places import CROSSING_POINTS as POSTS
from palermo.world.places import Place, near

Record = dict[str, Any]

# How each agency's record ids begin (its own numbering scheme).
RECORD_PREFIX = {
    "TH-RTP": "RTP-",
    "MY-IMM": "IMM/",
    "DE-BKA": "BKA-ST-",
    "DE-FKS": "FKS-",
    "NL-KMAR": "KMAR",
    "NL-NGO-FAIRWORK": "FW-",
    "NG-NAPTIP": "NAPTIP/",
}

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


# What a border officer notes at the gate (UNODC indicators for border and immigration
# staff), with the chance of noting each for a victim and for anyone else who travels.
BORDER_INDICATORS: dict[str, tuple[float, float]] = {
    "unodc-travel-arranged-by-others": (0.45, 0.12),
    "unodc-accompanied-and-spoken-for": (0.35, 0.05),
    "unodc-scripted-story": (0.3, 0.08),
    "unodc-no-knowledge-of-address": (0.35, 0.05),
    "ilo-retention-of-documents": (0.2, 0.02),
}


@dataclass
class Scene:
    """Per-network state on the generator's second random stream (see people.situate)."""

    side: random.Random
    trips: set[str] = field(default_factory=set)  # group trips already written, per agency
    recruiter_phones: list[str] = field(default_factory=list)
    salt: str = ""  # seed and network number: makes `opaque_id` deterministic per seed

    def opaque_id(self, agency: AgencySpec, kind: str, *parts: str) -> str:
        """An id for a victim-related record that reveals nothing of the ids it is about.

        Ids composed from other ids (``<victim>-VR``, ``<victim>-exploited-by-<suspect>``)
        let anyone who reads the id learn the masked link (review 2026-11-29, finding 3).
        This is a hash of the seed, the agency, the kind of record and the record it is
        about, so the world stays the same for a seed and ids do not collide; the random
        stream is not touched, so every other value stays as it was."""
        raw = "\x1f".join((self.salt, agency.code, kind, *parts)).encode("utf-8")
        digest = hashlib.blake2b(raw, digest_size=8, person=b"palermo-world").hexdigest()
        return f"{RECORD_PREFIX.get(agency.code, agency.code + '-')}R-{digest}"


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


def person_record(
    rng: random.Random,
    scene: Scene,
    agency: AgencySpec,
    person: TruePerson,
    network: Network,
    local: str,
) -> Record:
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
    lives_on_site = person.is_victim or person.role == "exploiter"
    if lives_on_site and agency.kind != "border" and scene.side.random() < 0.5:
        props["address"] = [network.address]  # the safe house / employer-provided housing
    return {
        "id": local,
        "schema": "Person",
        "properties": props,
        "sharing": sharing(rng, agency, victim_data=agency.kind == "ngo"),
    }


def border_records(
    rng: random.Random,
    scene: Scene,
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
    trip, trip_sharing = f"{local}-T{seq}", sharing(rng, agency)
    date = f"{network.year}-{month:02d}-{rng.randint(1, 28):02d}"
    if scene.side.random() < network.group_travel:  # travels with the group
        trip, date = f"{agency.code}-TRIP-{network.id}", network.travel_date
    if trip not in scene.trips:
        scene.trips.add(trip)
        yield {
            "id": trip,
            "schema": "Trip",
            "sharing": trip_sharing,
            "properties": {
                "name": [" -> ".join((route.origin, *route.transit, route.destination))],
                "date": [date],
            },
        }
    post = next((p for p in POSTS.get(agency.country, ()) if p.name == point), None)
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
            "date": [date],
            "fromCountry": [network.route.origin.lower()],
            "toCountry": [agency.country.lower()],
            **({"latitude": [str(post.lat)], "longitude": [str(post.lon)]} if post else {}),
            **border_indicators(scene.side, person),
        },
    }
    if person.passport_status == "forged" and rng.random() < 0.4:
        yield document_report(rng, agency, doc, person, "forged", f"{local}-DR")


def border_indicators(side: random.Random, person: TruePerson) -> dict[str, list[str]]:
    noted = [
        code
        for code, (victim, other) in BORDER_INDICATORS.items()
        if side.random() < (victim if person.is_victim else other)
    ]
    return {"indicators": noted} if noted else {}


def place_record(
    side: random.Random, place: Place, local: str, agency_sharing: dict[str, Any]
) -> Record:
    lat, lon = near(side, place)
    return {
        "id": local,
        "schema": "Address",
        "sharing": agency_sharing,
        "properties": {
            "full": [f"{place.name}, {place.country}"],
            "city": [place.name],
            "country": [place.country.lower()],
            "latitude": [str(lat)],
            "longitude": [str(lon)],
        },
    }


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


def victim_records(
    rng: random.Random,
    scene: Scene,
    agency: AgencySpec,
    person: TruePerson,
    network: Network,
    local: str,
) -> list[Record]:
    """The victim record and the places of recruitment and exploitation it names."""
    record = victim_record(
        rng, agency, person, network, local, scene.opaque_id(agency, "VR", local)
    )
    props, places = record["properties"], []
    props["registrationYear"] = [str(min(2025, network.year + (scene.side.random() < 0.3)))]
    props["startDate"] = [network.travel_date]
    for prop, place, suffix in (
        ("recruitment", network.recruitment, "RA"),
        ("exploitation", network.exploitation, "EA"),
    ):
        if place is None:
            continue
        place_id = scene.opaque_id(agency, suffix, local)
        props[f"{prop}Place"] = [place.name]
        props[f"{prop}Address"] = [place_id]
        places.append(place_record(scene.side, place, place_id, record["sharing"]))
    return [record, *places]


def victim_record(
    rng: random.Random,
    agency: AgencySpec,
    person: TruePerson,
    network: Network,
    local: str,
    record_id: str,
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
        "id": record_id,
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
