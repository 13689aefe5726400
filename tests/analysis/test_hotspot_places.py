"""Issue 16: hotspots name their place (the city and country most of the cell's events
name, or a border crossing point), never a masked value."""

from __future__ import annotations

from typing import Any

from palermo.analysis import hotspots
from palermo.store.visibility import MASK


def address(eid: str, lat: float, lon: float, **props: str) -> dict[str, Any]:
    values = {"latitude": [str(lat)], "longitude": [str(lon)], **{k: [v] for k, v in props.items()}}
    return {"id": eid, "schema": "Address", "properties": values}


def test_a_hotspot_is_named_by_the_place_most_of_its_events_name() -> None:
    entities = [
        address("a1", 6.4550, 3.3841, city="Lagos", country="ng"),
        address("a2", 6.4551, 3.3842, city="Lagos", country="ng"),
        address("a3", 6.4552, 3.3843, city="Ikeja", country="ng"),
        address("a4", 52.37, 4.89, full="Damrak 1, Amsterdam"),
        {
            "id": "x1",
            "schema": "BorderCrossing",
            "properties": {
                "latitude": ["41.28"],
                "longitude": ["28.75"],
                "crossingPoint": ["Istanbul Airport"],
                "date": ["2025-01-02"],
            },
        },
    ]
    found = hotspots.hotspots(hotspots.events(entities), resolution=5)
    by_place = {h.place: h.count for h in found}
    assert by_place == {"Lagos, NG": 3, "Damrak 1, Amsterdam": 1, "Istanbul Airport": 1}


def test_masked_place_names_name_nothing() -> None:
    entities = [address("a1", 6.455, 3.384, city=MASK, country=MASK, full=MASK)]
    (only,) = hotspots.hotspots(hotspots.events(entities), resolution=5)
    assert only.place == "" and only.count == 1
