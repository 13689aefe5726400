"""Where things happen in the world: recruitment towns, exploitation cities, border posts.

Coordinates are the real ones (to about a kilometre) so that hotspot maps drawn over the
world look like maps of real places. Recruitment weights follow the pattern the UNODC
Global Report and national reports describe: a few source towns supply most victims of a
country (Benin City and Edo State in Nigeria, the north-east of Thailand, Nghe An and Ha
Tinh in Viet Nam), which is what a hotspot analysis should find again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    name: str
    country: str
    lat: float
    lon: float
    weight: float = 1.0


RECRUITMENT: dict[str, tuple[Place, ...]] = {
    "NG": (
        Place("Benin City", "NG", 6.335, 5.627, 6),
        Place("Lagos", "NG", 6.455, 3.394, 2),
        Place("Abuja", "NG", 9.076, 7.398, 1),
    ),
    "UA": (
        Place("Lviv", "UA", 49.839, 24.029, 3),
        Place("Kyiv", "UA", 50.450, 30.523, 2),
        Place("Kharkiv", "UA", 49.993, 36.231, 1),
    ),
    "RO": (
        Place("Iasi", "RO", 47.158, 27.601, 3),
        Place("Craiova", "RO", 44.319, 23.800, 2),
        Place("Bucharest", "RO", 44.427, 26.103, 1),
    ),
    "TH": (
        Place("Udon Thani", "TH", 17.415, 102.787, 4),
        Place("Chiang Rai", "TH", 19.910, 99.841, 3),
        Place("Bangkok", "TH", 13.756, 100.502, 1),
    ),
    "VN": (
        Place("Vinh (Nghe An)", "VN", 18.679, 105.682, 4),
        Place("Ha Tinh", "VN", 18.343, 105.906, 3),
        Place("Hanoi", "VN", 21.028, 105.854, 1),
    ),
    "CN": (Place("Kunming", "CN", 25.040, 102.712, 2), Place("Nanning", "CN", 22.817, 108.366, 1)),
    "SY": (Place("Aleppo", "SY", 36.202, 37.134, 2), Place("Damascus", "SY", 33.513, 36.292, 1)),
}

EXPLOITATION: dict[str, tuple[Place, ...]] = {
    "NL": (
        Place("Amsterdam", "NL", 52.370, 4.895),
        Place("Rotterdam", "NL", 51.924, 4.478),
        Place("Den Haag", "NL", 52.078, 4.288),
    ),
    "DE": (
        Place("Berlin", "DE", 52.520, 13.405),
        Place("Frankfurt", "DE", 50.110, 8.682),
        Place("Hamburg", "DE", 53.551, 9.994),
    ),
    "MY": (
        Place("Kuala Lumpur", "MY", 3.139, 101.687),
        Place("Johor Bahru", "MY", 1.493, 103.741),
        Place("Kota Kinabalu", "MY", 5.980, 116.074),
    ),
    "TH": (
        Place("Bangkok", "TH", 13.756, 100.502),
        Place("Pattaya", "TH", 12.927, 100.877),
        Place("Mae Sot", "TH", 16.713, 98.575),
    ),
}

# Border posts (IATA codes of the airports) where border agencies record crossings.
CROSSING_POINTS: dict[str, tuple[Place, ...]] = {
    "NL": (Place("AMS", "NL", 52.310, 4.768), Place("RTM", "NL", 51.957, 4.437)),
    "DE": (
        Place("FRA", "DE", 50.038, 8.562),
        Place("MUC", "DE", 48.354, 11.786),
        Place("BER", "DE", 52.366, 13.503),
    ),
    "MY": (Place("KUL", "MY", 2.746, 101.710), Place("BKI", "MY", 5.937, 116.051)),
    "TH": (Place("BKK", "TH", 13.690, 100.750), Place("HKT", "TH", 8.113, 98.317)),
    "NG": (Place("LOS", "NG", 6.577, 3.321), Place("ABV", "NG", 9.007, 7.263)),
}


def pick(rng: random.Random, places: tuple[Place, ...]) -> Place:
    return rng.choices(places, weights=[p.weight for p in places])[0]


def near(rng: random.Random, place: Place, km: float = 4.0) -> tuple[float, float]:
    """A point within about ``km`` of the place (a street, not the town hall)."""
    degrees = km / 111.0
    return (
        round(place.lat + rng.uniform(-degrees, degrees), 5),
        round(place.lon + rng.uniform(-degrees, degrees), 5),
    )
