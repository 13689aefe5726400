"""The agencies of the demo network, and who of the world each of them gets to see.

Seven agencies in five countries: police in Thailand, Germany and Nigeria (NAPTIP), border
guards in Malaysia and the Netherlands, a German labour inspectorate and a Dutch NGO.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AgencySpec:
    code: str
    name: str
    country: str
    kind: str
    groups: tuple[str, ...]
    native_script: bool  # writes names of its own nationals in their native script
    scopes: tuple[tuple[str, float], ...]  # (sharing scope, probability) for its records


AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec(
        "TH-RTP",
        "Royal Thai Police, Anti-Trafficking Division",
        "TH",
        "police",
        ("ASEAN",),
        True,
        (("group:ASEAN", 0.5), ("all", 0.3), ("owner", 0.2)),
    ),
    AgencySpec(
        "MY-IMM",
        "Immigration Department of Malaysia",
        "MY",
        "border",
        ("ASEAN",),
        False,
        (("all", 0.7), ("group:ASEAN", 0.3)),
    ),
    AgencySpec(
        "DE-BKA",
        "Bundeskriminalamt",
        "DE",
        "police",
        ("EU",),
        False,
        (("group:EU", 0.55), ("all", 0.25), ("owner", 0.2)),
    ),
    AgencySpec(
        "DE-FKS",
        "Finanzkontrolle Schwarzarbeit (labour inspectorate)",
        "DE",
        "labour",
        ("EU",),
        False,
        (("group:EU", 0.5), ("owner", 0.5)),
    ),
    AgencySpec(
        "NL-KMAR",
        "Koninklijke Marechaussee",
        "NL",
        "border",
        ("EU",),
        False,
        (("all", 0.7), ("group:EU", 0.3)),
    ),
    AgencySpec(
        "NL-NGO-FAIRWORK",
        "FairWork (victim support NGO)",
        "NL",
        "ngo",
        ("EU",),
        False,
        (("owner", 0.8), ("NL-KMAR,DE-BKA", 0.2)),
    ),
    AgencySpec(
        "NG-NAPTIP",
        "National Agency for the Prohibition of Trafficking in Persons",
        "NG",
        "police",
        (),
        False,
        (("all", 0.6), ("DE-BKA,NL-KMAR,TH-RTP", 0.4)),
    ),
)

BY_CODE = {a.code: a for a in AGENCIES}
BY_COUNTRY: dict[str, list[AgencySpec]] = {}
for _agency in AGENCIES:
    BY_COUNTRY.setdefault(_agency.country, []).append(_agency)

# Probability that an agency of a kind holds a record of someone, by that person's role,
# when the person touched the agency's country.
COVERAGE: dict[str, dict[str, float]] = {
    "police": {
        "victim": 0.45,
        "recruiter": 0.35,
        "transporter": 0.3,
        "forger": 0.3,
        "exploiter": 0.6,
        "money-mover": 0.35,
    },
    "border": {
        "victim": 0.85,
        "transporter": 0.8,
        "recruiter": 0.1,
        "forger": 0.05,
        "exploiter": 0.15,
        "money-mover": 0.2,
    },
    "labour": {"victim": 0.5, "exploiter": 0.55},
    "ngo": {"victim": 0.5},
}


@dataclass(frozen=True)
class Route:
    origin: str
    transit: tuple[str, ...]
    destination: str
    forms: tuple[str, ...]
    weight: float


# Routes modelled on patterns in the UNODC Global Report (origin -> transit -> destination).
ROUTES: tuple[Route, ...] = (
    Route("NG", ("LY", "IT"), "NL", ("sexual", "forced-criminality"), 3),
    Route("NG", ("NL",), "DE", ("sexual", "forced-labour-domestic"), 2),
    Route(
        "UA",
        ("PL",),
        "DE",
        ("forced-labour-agriculture", "forced-labour-construction", "sexual"),
        3,
    ),
    Route("RO", (), "NL", ("forced-labour-agriculture", "forced-begging", "forced-criminality"), 2),
    Route("TH", (), "MY", ("sexual", "forced-labour-domestic", "forced-labour-fishing"), 3),
    Route("TH", ("NL",), "DE", ("sexual",), 2),
    Route("VN", ("RU",), "DE", ("forced-labour-manufacturing", "forced-criminality"), 2),
    Route("CN", (), "TH", ("forced-criminality", "forced-marriage"), 2),
    Route(
        "SY", ("TR",), "DE", ("forced-labour-construction", "forced-marriage", "organ-removal"), 1
    ),
    Route("TH", ("MY",), "MY", ("forced-labour-fishing",), 2),
)

CROSSING_POINTS = {
    "NL": ("AMS", "RTM"),
    "DE": ("FRA", "MUC", "BER"),
    "MY": ("KUL", "BKI"),
    "TH": ("BKK", "HKT"),
    "NG": ("LOS", "ABV"),
}
# Mobile number plans (prefix, digits after it) that phone-number validation accepts.
MOBILE = {
    "NG": ("+234803", 7),
    "UA": ("+38067", 7),
    "RO": ("+40722", 6),
    "TH": ("+6681", 7),
    "VN": ("+8491", 7),
    "CN": ("+86138", 8),
    "SY": ("+96393", 7),
    "DE": ("+49151", 8),
    "NL": ("+316", 8),
    "MY": ("+6012", 7),
}
ISO3 = {
    "NG": "NGA",
    "UA": "UKR",
    "RO": "ROU",
    "TH": "THA",
    "VN": "VNM",
    "CN": "CHN",
    "SY": "SYR",
    "DE": "DEU",
    "NL": "NLD",
    "MY": "MYS",
}
