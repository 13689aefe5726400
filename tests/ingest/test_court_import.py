"""Imported court outcomes pass the hand-entry check (issue 20, ADR 0028): an ICCS code
that does not fit the form of exploitation, a verdict date before the prosecution or in
the future, a pending case with a verdict date ... is a row error naming the property,
never a traceback, and the good rows still load (skip-bad); FtM JSON and mapped CSV."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from palermo.coordination import court
from palermo.ingest import ImportMode, import_file
from palermo.ingest.errors import RowProblem
from palermo.ingest.validate import entity_statements
from palermo.model.sharing import Sharing
from palermo.model.vocab import EXPLOITATION_FORMS
from palermo.store.store import Store
from tests.ingest.test_import import write_lines
from tests.store.factories import setup_agencies

PERSON = {"id": "p1", "schema": "Person", "properties": {"name": ["Ivan Petrov"]}}


def outcome(oid: str, **over: Any) -> dict[str, Any]:
    props = {"defendant": "p1", "verdict": "convicted", "prosecutionDate": "2023-02-01",
             "verdictDate": "2023-09-10", "offenceCode": "02042",
             "exploitationForm": "forced-labour"} | over  # fmt: skip
    return {"id": oid, "schema": "CourtOutcome",
            "properties": {k: v for k, v in props.items() if v is not None}}  # fmt: skip


BAD = [  # (the row, the field named, words of the reason)
    (outcome("o2", offenceCode="02041"), "offenceCode", "does not fit the exploitationForm"),
    (outcome("o3", verdictDate="2023-01-05"), "verdictDate", "before the prosecution date"),
    (outcome("o4", verdictDate="2999-01-01"), "verdictDate", "in the future"),
    (outcome("o5", verdict="pending"), "verdictDate", "pending case has no verdict date"),
    (outcome("o6", verdict="guilty"), "verdict", "is not one of convicted"),
    (outcome("o7", prosecutionDate=None), "prosecutionDate", "charged is needed"),
    (outcome("o8", verdict=["convicted", "acquitted"]), "verdict", "one verdict, not 2"),
    (outcome("o9", offenceCode="0301"), "offenceCode", "not an ICCS trafficking code"),
    (outcome("o10", exploitationForm="smuggling"), "exploitationForm", "not a form"),
]


def test_a_bad_outcome_is_a_row_error_and_the_good_rows_load(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    good = [PERSON, outcome("o1"), outcome("o11", verdict="pending", verdictDate=None)]
    path = write_lines(tmp_path / "court.json", [*good, *(row for row, _, _ in BAD)])
    report = import_file(store, viewers["A1"], path, mode=ImportMode.SKIP_BAD)
    assert report.committed
    assert [(e.file, e.line, e.field) for e in report.errors] == [
        ("court.json", len(good) + i, field) for i, (_, field, _) in enumerate(BAD, start=1)
    ]
    for error, (_, _, words) in zip(report.errors, BAD, strict=True):
        assert words in error.reason, error
        assert "_" not in error.reason.split("(")[0], error  # the file's names, not the form's
    stored = store.entities(viewers["A1"], schema="CourtOutcome", purpose=None)
    assert sorted(e.id.rsplit(".", 1)[1] for e in stored) == ["o1", "o11"]


def test_an_atomic_import_with_a_bad_outcome_stores_nothing(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    path = write_lines(tmp_path / "court.json", [PERSON, outcome("o1"), BAD[0][0]])
    report = import_file(store, viewers["A1"], path)
    assert not report.committed and [e.field for e in report.errors] == ["offenceCode"]
    assert store.entities(viewers["A1"], schema="CourtOutcome", purpose=None) == []
    assert store.entities(viewers["A1"], schema="Person", purpose=None) == []


def test_a_mapped_csv_row_names_the_property(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    mapping = tmp_path / "court.yml"
    mapping.write_text(
        "outcomes:\n  query:\n    entities:\n"
        "      person:\n        schema: Person\n        keys: [nr]\n"
        "        properties:\n          name: {column: name}\n"
        "      outcome:\n        schema: CourtOutcome\n        keys: [nr]\n"
        "        properties:\n          defendant: {entity: person}\n"
        "          verdict: {column: verdict}\n          prosecutionDate: {column: charged}\n"
        "          verdictDate: {column: decided}\n          offenceCode: {column: iccs}\n"
        "          exploitationForm: {column: form}\n"
    )
    csv_path = tmp_path / "court.csv"
    csv_path.write_text(
        "nr,name,verdict,charged,decided,iccs,form\n"
        "1,Anna Berg,convicted,2022-01-10,2022-06-01,02041,sexual-exploitation\n"
        "2,Kim Le,convicted,2022-01-10,2022-06-01,02043,forced-labour\n"
        "3,Mai Tran,acquitted,2022-05-10,2022-04-01,0204,\n"
    )
    report = import_file(store, viewers["A1"], csv_path, mapping=mapping, mode=ImportMode.SKIP_BAD)
    assert report.committed
    assert [(e.line, e.field) for e in report.errors] == [(3, "offenceCode"), (4, "verdictDate")]
    # the whole line is refused: no person whose outcome was bad
    names = [e.first("name") for e in store.entities(viewers["A1"], schema="Person",
                                                       purpose=None)]  # fmt: skip
    assert names == ["Anna Berg"]
    (kept,) = store.entities(viewers["A1"], schema="CourtOutcome", purpose=None)
    assert kept.first("offenceCode") == "02041"


@pytest.mark.parametrize(
    ("form", "code"), list(itertools.product(EXPLOITATION_FORMS, court.OFFENCE_CODES))
)
def test_an_import_accepts_exactly_the_codes_hand_entry_accepts(form: str, code: str) -> None:
    """The import's answer for each form and ICCS code is the form's (one check, not two)."""
    try:
        court.check_code_fits_form(code, form)
        by_hand = True
    except ValueError:
        by_hand = False
    row = outcome("o1", offenceCode=code, exploitationForm=form)
    try:
        entity_statements(row, "A1", Sharing.owner_only())
        imported = True
    except RowProblem as problem:
        assert problem.field == "offenceCode"
        imported = False
    assert imported == by_hand
