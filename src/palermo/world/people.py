"""The true world: networks and the people in them (what no agency sees whole)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from palermo.world.agencies import ISO3, MOBILE, ROUTES, Route
from palermo.world.places import EXPLOITATION, RECRUITMENT, Place, pick
from palermo.world.pools import CULTURES, Culture, Name

CRIMINAL_ROLES = ("recruiter", "transporter", "forger", "exploiter", "money-mover")


@dataclass
class TruePerson:
    id: str
    role: str
    network: str
    sex: str
    culture: Culture
    given: Name
    family: Name
    birth: str
    nationality: str
    passport: str
    passport_status: str  # valid, stolen, lost, forged
    phone: str
    touch: tuple[str, ...]

    @property
    def is_victim(self) -> bool:
        return self.role == "victim"


@dataclass
class Network:
    id: str
    route: Route
    form: str
    people: list[TruePerson] = field(default_factory=list)
    address: str = ""
    vehicle: str = ""
    iban: str = ""
    # Drawn from the network's second random stream (`situate`), so that adding them left
    # every earlier draw -- and so every earlier field of the world -- as it was.
    year: int = 2025
    travel_date: str = "2025-06-01"
    recruitment: Place | None = None
    exploitation: Place | None = None
    group_travel: float = 0.8  # share of victims travelling with the transporter


def pick_route(rng: random.Random) -> Route:
    return rng.choices(ROUTES, weights=[r.weight for r in ROUTES])[0]


def touch_countries(role: str, route: Route) -> tuple[str, ...]:
    if role == "victim":
        return (route.origin, *route.transit, route.destination)
    if role in ("recruiter", "forger"):
        return (route.origin,)
    if role == "transporter":
        return (route.origin, *route.transit, route.destination)
    if role == "exploiter":
        return (route.destination,)
    return (route.destination, route.origin)  # money mover


# Share of people who carry a second given name: Nigerians often an English and a native
# one, Romanians double names, Arabic names the father's name. It is also what keeps
# a large world from being full of namesakes.
SECOND_NAME = {"NG": 0.5, "RO": 0.35, "SY": 0.7}


def given_name(rng: random.Random, culture: Culture, sex: str) -> Name:
    pool = culture.female if sex == "female" else culture.male
    first = rng.choice(pool)
    if rng.random() >= SECOND_NAME.get(culture.code, 0.0):
        return first
    # the father's name in Arabic name chains; a second name of the same sex elsewhere
    second = rng.choice(culture.male if culture.code == "SY" else pool)
    if second == first:
        return first
    variants = tuple(dict.fromkeys(f"{a} {b}" for a in first[1] for b in second[1]))
    return f"{first[0]} {second[0]}", variants


def make_person(rng: random.Random, network: Network, index: int, role: str) -> TruePerson:
    route = network.route
    culture = CULTURES.get(route.origin) or CULTURES["NG"]
    victim = role == "victim"
    sex = (
        ("female" if rng.random() < (0.75 if "sexual" in network.form else 0.4) else "male")
        if victim
        else ("male" if rng.random() < 0.75 else "female")
    )
    age = rng.randint(14, 35) if victim else rng.randint(24, 62)
    year = 2026 - age
    birth = f"{year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    given = given_name(rng, culture, sex)
    status_roll = rng.random()
    status = (
        "stolen"
        if status_roll < 0.06
        else "lost"
        if status_roll < 0.1
        else "forged"
        if status_roll < 0.15
        else "valid"
    )
    letters = rng.choice("ABCEFGHKLMNPRSTUVWXYZ") + rng.choice("ABCDEFGH")
    passport = f"{letters}{rng.randint(0, 9999999):07d}"
    prefix, digits = MOBILE.get(route.origin, MOBILE["NG"])
    phone = f"{prefix}{rng.randrange(10 ** (digits - 1), 10**digits)}"
    return TruePerson(
        id=f"{network.id}-{index:02d}",
        role=role,
        network=network.id,
        sex=sex,
        culture=culture,
        given=given,
        family=rng.choice(culture.family),
        birth=birth,
        nationality=route.origin,
        passport=passport,
        passport_status=status,
        phone=phone,
        touch=touch_countries(role, route),
    )


def make_network(rng: random.Random, number: int, victims: int) -> Network:
    route = pick_route(rng)
    network = Network(f"N{number:07d}", route, rng.choice(route.forms))
    roles = (
        ["recruiter"] * rng.randint(1, 2)
        + ["transporter"]
        + ["forger"] * rng.randint(0, 1)
        + ["exploiter"] * rng.randint(1, 2)
        + ["money-mover"]
        + ["victim"] * victims
    )
    network.people = [make_person(rng, network, i, role) for i, role in enumerate(roles)]
    network.address = (
        f"{rng.randint(1, 250)} {rng.choice(STREETS)}, {rng.choice(CITIES[route.destination])}"
    )
    plate = rng.choice("ABCDEFGHJK") + rng.choice("LMNPRSTUVW")
    network.vehicle = f"{route.destination}-{rng.randint(100, 999)}-{plate}"
    network.iban = f"{route.destination}{rng.randint(10, 99)}{rng.randint(10**15, 10**16 - 1)}"
    return network


# Relative number of networks per year (2021..2025) by (origin, destination); others flat.
# Forced criminality in scam compounds (CN -> TH) grows fast and is new after 2022; UA -> DE
# jumps in 2022. A trend analysis of the world should find both.
TRENDS: dict[tuple[str, str], tuple[float, ...]] = {
    ("CN", "TH"): (0, 0, 1, 3, 6),
    ("UA", "DE"): (1, 1, 4, 3, 3),
}
YEARS = (2021, 2022, 2023, 2024, 2025)


def situate(side: random.Random, network: Network) -> None:
    """When and where the network operates: year, travel date, recruitment town, city."""
    route = network.route
    weights = TRENDS.get((route.origin, route.destination), (1, 1, 1, 1, 1))
    network.year = side.choices(YEARS, weights=weights)[0]
    network.travel_date = f"{network.year}-{side.randint(1, 12):02d}-{side.randint(1, 28):02d}"
    network.recruitment = pick(side, RECRUITMENT.get(route.origin, RECRUITMENT["NG"]))
    city = network.address.rsplit(", ", 1)[-1]
    network.exploitation = next(p for p in EXPLOITATION[route.destination] if p.name == city)
    network.group_travel = side.uniform(0.6, 0.95)


def iso3(country: str) -> str:
    return ISO3.get(country, "XXX")


STREETS = (
    "Harbour Road",
    "Station Street",
    "Industrial Park",
    "Market Lane",
    "Canal Street",
    "Riverside",
    "Old Town Square",
)
CITIES = {code: tuple(p.name for p in places) for code, places in EXPLOITATION.items()}
