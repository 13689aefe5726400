"""Imports: per-row errors with file, line, field and reason; atomic or skip-bad; stored
data never changes on a rejected import."""

from __future__ import annotations

import json
from pathlib import Path

from palermo.ingest import ImportMode, import_file
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.ingest.ftm_oracle import ftm_id, ftm_map_csv
from tests.store.factories import setup_agencies

DATA = Path(__file__).parent.parent / "data" / "ingest"


def write_lines(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


GOOD = {
    "id": "p1",
    "schema": "Person",
    "properties": {"name": ["Ivan Petrov"], "nationality": ["Russia"]},
}
BAD_DATE = {"id": "p2", "schema": "Person", "properties": {"birthDate": ["1980-13-45"]}}
BAD_PROP = {"id": "p3", "schema": "Person", "properties": {"shoeSize": ["44"]}}
BAD_SCHEMA = {"id": "p4", "schema": "Alien", "properties": {}}
BAD_SHARING = {
    "id": "p5",
    "schema": "Person",
    "properties": {},
    "sharing": {"scope": "all", "handling": ["secret"]},
}


def test_errors_name_file_line_field_and_reason(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    path = write_lines(
        tmp_path / "in.json", [GOOD, BAD_DATE, BAD_PROP, "{oops", BAD_SCHEMA, BAD_SHARING]
    )
    report = import_file(store, viewers["A1"], path)
    found = {(e.file, e.line, e.field) for e in report.errors}
    assert found == {
        ("in.json", 2, "birthDate"),
        ("in.json", 3, "shoeSize"),
        ("in.json", 4, "(json)"),
        ("in.json", 5, "schema"),
        ("in.json", 6, "sharing"),
    }
    reasons = " ".join(e.reason for e in report.errors)
    assert "'1980-13-45' is not a valid date" in reasons and "secret" in reasons


def test_atomic_import_with_a_bad_row_changes_nothing(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    first = import_file(store, viewers["A1"], write_lines(tmp_path / "a.json", [GOOD]))
    assert first.committed and first.statements == 3
    before = store.count_statements()
    changed = {"id": "p1", "schema": "Person", "properties": {"name": ["Someone Else"]}}
    report = import_file(
        store, viewers["A1"], write_lines(tmp_path / "b.json", [changed, BAD_DATE])
    )
    assert not report.committed and report.statements == 0
    assert store.count_statements() == before
    assert store.audit_entries()[-1].action == "import.rejected"
    entity = store.entity(viewers["A1"], "a1.p1")
    assert entity is not None and entity.values("name") == ["Ivan Petrov"]


def test_skip_bad_imports_the_good_rows(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    report = import_file(
        store,
        viewers["A1"],
        write_lines(tmp_path / "c.json", [GOOD, BAD_DATE]),
        mode=ImportMode.SKIP_BAD,
    )
    assert report.committed and report.entities_imported == 1 and len(report.errors) == 1
    entity = store.entity(viewers["A1"], "a1.p1")
    assert entity is not None and entity.values("nationality") == ["ru"]


def test_reimport_is_idempotent_for_identical_rows(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    row = dict(GOOD, first_seen="2024-01-01T00:00:00+00:00")
    path = write_lines(tmp_path / "d.json", [row])
    import_file(store, viewers["A1"], path)
    count = store.count_statements()
    import_file(store, viewers["A1"], path)
    assert store.count_statements() == count


def test_csv_with_mapping_links_passport_to_holder(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    report = import_file(
        store,
        viewers["A1"],
        DATA / "persons.csv",
        mode=ImportMode.SKIP_BAD,
        mapping=DATA / "persons.mapping.yml",
        sharing=Sharing.parse("owner"),
    )
    assert [(e.line, e.field) for e in report.errors] == [(4, "birthDate")]
    ftm = ftm_map_csv(DATA / "persons.csv", DATA / "persons.mapping.yml")
    olena_id = "a1." + ftm_id(ftm, "Person", "name", "Олена Коваленко")
    siti_id = "a1." + ftm_id(ftm, "Person", "name", "Siti Rahmah")
    passport = store.entity(viewers["A1"], "a1." + ftm_id(ftm, "Passport", "number", "FP123456"))
    assert passport is not None and passport.values("holder") == [olena_id]
    olena = store.entity(viewers["B2"], olena_id)
    assert olena is not None and olena.values("name") == ["Олена Коваленко"]
    assert store.entity(viewers["B2"], siti_id) is None  # owner-only row
    assert store.entity(viewers["C3"], olena_id) is None  # not in the EU group


def test_skip_bad_drops_the_whole_line_of_a_mapped_csv(store: Store) -> None:
    """Line 4's Person has a bad birth date: its Passport must not be stored either, or it
    would point at a holder that does not exist (issue 21)."""
    viewers = setup_agencies(store, {"A1": ("EU",)})
    report = import_file(
        store,
        viewers["A1"],
        DATA / "persons.csv",
        mode=ImportMode.SKIP_BAD,
        mapping=DATA / "persons.mapping.yml",
    )
    assert [(e.line, e.field) for e in report.errors] == [(4, "birthDate")]
    ftm = ftm_map_csv(DATA / "persons.csv", DATA / "persons.mapping.yml")
    assert store.entity(viewers["A1"], "a1." + ftm_id(ftm, "Person", "name", "Broken Date")) is None
    broken_passport = "a1." + ftm_id(ftm, "Passport", "number", "C01X00T47")
    assert store.entity(viewers["A1"], broken_passport) is None
    holders = {
        h for p in store.entities(viewers["A1"], schema="Passport") for h in p.values("holder")
    }
    assert all(store.entity(viewers["A1"], h) is not None for h in holders)
