"""The synthetic world: deterministic, valid, partial per agency, with complete truth."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest
from rigour.text.scripts import is_latin

from palermo.ingest.errors import RowProblem
from palermo.ingest.validate import entity_statements
from palermo.model.sharing import Sharing
from palermo.world import generate
from palermo.world.agencies import AGENCIES, BY_CODE
from palermo.world.mrz import check_digit, td3

PERSONS = 1000


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(out, PERSONS, seed=7)
    return out


def records(world: Path, agency: str) -> list[dict[str, object]]:
    lines = (world / agency / "entities.ftm.json").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def truth(world: Path, name: str) -> list[dict[str, str]]:
    with (world / "truth" / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_same_seed_same_bytes_other_seed_other_world(world: Path, tmp_path: Path) -> None:
    generate(tmp_path / "again", PERSONS, seed=7)
    generate(tmp_path / "other", PERSONS, seed=8)
    assert digest(tmp_path / "again") == digest(world)
    assert digest(tmp_path / "other") != digest(world)


def test_exactly_the_requested_persons_and_complete_truth(world: Path) -> None:
    persons = truth(world, "persons.csv")
    assert len(persons) == PERSONS and len({p["true_id"] for p in persons}) == PERSONS
    known = {p["true_id"] for p in persons}
    rows = truth(world, "records.csv")
    by_agency = Counter(r["agency"] for r in rows)
    for agency in AGENCIES:
        ids = [r["id"] for r in records(world, agency.code)]
        assert by_agency[agency.code] == len(ids), agency.code  # every record is in the truth
        assert {r["record_id"] for r in rows if r["agency"] == agency.code} == set(ids)
    assert all(r["true_id"] in known for r in rows)


def test_every_record_validates_against_the_model(world: Path) -> None:
    for agency in AGENCIES:
        for record in records(world, agency.code):
            try:
                entity_statements(record, agency.code, Sharing.owner_only())
            except RowProblem as problem:
                raise AssertionError(f"{agency.code} {record['id']}: {problem}") from None


def test_agencies_only_know_people_who_touched_their_country(world: Path) -> None:
    networks = {n["network_id"]: n for n in truth(world, "networks.csv")}
    persons = {p["true_id"]: p for p in truth(world, "persons.csv")}
    for row in truth(world, "records.csv"):
        person, net = persons[row["true_id"]], networks[row["network_id"]]
        countries = {net["origin"], net["destination"], *filter(None, net["transit"].split("|"))}
        assert BY_CODE[row["agency"]].country in countries, row
        assert person["role"] == row["role"]
    seen_by = Counter(r["true_id"] for r in truth(world, "records.csv") if r["schema"] == "Person")
    assert len(seen_by) < PERSONS  # partial: some people are known to no agency
    assert max(seen_by.values()) > 1  # and some to several


def test_names_come_in_several_scripts_and_spellings(world: Path) -> None:
    scripts = set()
    for agency in AGENCIES:
        for record in records(world, agency.code):
            props = record["properties"]
            assert isinstance(props, dict)
            for name in props.get("name", []) + props.get("alias", []):
                for char in name:
                    if char.isalpha() and not is_latin(char):
                        import unicodedata

                        scripts.add(unicodedata.name(char).split()[0])
    assert {"THAI", "CYRILLIC", "ARABIC", "CJK"} <= scripts


def test_victim_records_are_victim_sensitive(world: Path) -> None:
    found = 0
    for agency in AGENCIES:
        for record in records(world, agency.code):
            if record["schema"] == "VictimRecord":
                found += 1
                assert record["sharing"]["handling"] == ["victim-sensitive"]  # type: ignore[index]
    assert found > 0


def test_mrz_check_digits_follow_icao_9303() -> None:
    assert check_digit("L898902C3") == "6" and check_digit("740812") == "2"
    line1, line2 = td3(
        "UTO", "ERIKSSON", "ANNA MARIA", "L898902C3", "UTO", "1974-08-12", "F", "2012-04-15"
    )
    assert line1 == "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
    assert line2.startswith("L898902C36UTO7408122F1204159") and len(line2) == 44
    broken = td3(
        "UTO", "ERIKSSON", "ANNA", "L898902C3", "UTO", "1974-08-12", "F", "2012-04-15", broken=True
    )[1]
    assert broken[9] != "6"
