"""CTDC loaders: the codebook format on a hand-made fixture, the VP file on the real data."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from palermo.datasets.ctdc import CtdcError, load_ctdc_global, load_ctdc_vp
from palermo.datasets.paths import shared_data_dir
from palermo.ingest.validate import entity_statements
from palermo.model.sharing import Sharing

FIXTURE = Path(__file__).parent.parent / "data" / "datasets" / "ctdc_global_sample.csv"
VP = shared_data_dir() / "ctdc" / "CTDC_VPsynthetic_condensed.csv"


def by_id(entities: list[dict[str, object]]) -> dict[str, dict[str, list[str]]]:
    return {str(e["id"]): e["properties"] for e in entities}  # type: ignore[misc]


def test_global_format_maps_every_coding() -> None:
    entities = list(load_ctdc_global(FIXTURE))
    assert len(entities) == 20  # a person and a victim record per row
    props = by_id(entities)
    first = props["ctdc-2-vr"]
    assert first["isMinor"] == ["true"] and first["exploitationCountry"] == ["it"]
    assert first["exploitationForm"] == ["sexual"]
    assert first["indicators"] == [
        "ilo-debt-bondage",
        "ilo-intimidation-threats",
        "ilo-withholding-of-wages",
    ]
    assert first["recruiterRelation"] == ["friend"] and first["durationMonths"] == [
        "0--12 (0-1 yr)"
    ]
    assert props["ctdc-2"] == {"gender": ["female"], "nationality": ["ng"]}
    assert props["ctdc-3-vr"]["exploitationForm"] == ["forced-labour-construction"]
    assert props["ctdc-5"] == {"gender": ["other"], "nationality": ["th"]}
    assert props["ctdc-5-vr"]["exploitationForm"] == ["sexual-pornography"]
    assert props["ctdc-6"] == {}  # all NULL
    assert props["ctdc-6-vr"]["exploitationForm"] == ["other"]
    assert props["ctdc-7-vr"]["isMinor"] == ["true"]  # 0--8
    assert props["ctdc-9-vr"]["exploitationForm"] == ["forced-labour"]  # no sector given
    assert props["ctdc-10-vr"]["exploitationForm"] == ["forced-labour", "sexual"]
    assert "exploitationForm" not in props["ctdc-11-vr"]


def test_global_rows_are_valid_palermo_entities() -> None:
    for entity in load_ctdc_global(FIXTURE):
        assert entity_statements(entity, "CTDC", Sharing.to_all())


def test_missing_columns_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("yearOfRegistration,gender\n2019,Woman\n")
    with pytest.raises(CtdcError, match="missing columns ageBroad"):
        list(load_ctdc_global(bad))


@pytest.mark.skipif(not VP.exists(), reason="shared data not present")
def test_vp_file_counts_match_an_independent_read() -> None:
    with VP.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    entities = list(load_ctdc_vp(VP))
    schemata = Counter(str(e["schema"]) for e in entities)
    assert schemata == {"Person": 2 * len(rows), "VictimRecord": len(rows), "Associate": len(rows)}
    assert len(rows) > 20_000  # the condensed file: 21,195 rows in the copy we have
    sexual = sum(1 for r in rows if r["isSexualExploit"] == "1")
    records = [e["properties"] for e in entities if e["schema"] == "VictimRecord"]
    assert sum(1 for p in records if "sexual" in p.get("exploitationForm", [])) == sexual  # type: ignore[union-attr, operator]
    minors = sum(1 for r in rows if r["majorityStatus"] == "Minor")
    assert sum(1 for p in records if p.get("isMinor") == ["true"]) == minors  # type: ignore[union-attr]
