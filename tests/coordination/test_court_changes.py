"""Court outcomes: the ICCS code against the form of exploitation, correcting and
retracting with a reason and a history, and the GLOTIP submission following both (issue 20,
ADR 0028 amendment). The store tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.analysis import glotip_submission as gs
from palermo.analysis.statistics import SUSPECT_TOPIC
from palermo.coordination import court, court_changes
from palermo.coordination.case_court import case_court_outcomes
from palermo.coordination.cases import open_case
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.model.vocab import EXPLOITATION_FORMS
from palermo.store.store import Store
from palermo.store.tables import audit_log, statement
from tests.store.factories import setup_agencies

TODAY = date(2026, 11, 30)
CONVICTED = gs.CellKey("Persons convicted", "Total", "Total", "Total", "Total")
PROSECUTED = gs.CellKey("Persons prosecuted", "Total", "Total", "Total", "Total")
SEXUAL = gs.CellKey("Persons convicted", "by form of exploitation", "Sexual exploitation",
                    "Total", "Total")  # fmt: skip
LABOUR = gs.CellKey("Persons convicted", "by form of exploitation", "Forced labour",
                    "Total", "Total")  # fmt: skip


def typed(**over: str) -> court.CourtOutcomeInput:
    values = {"defendant": "x.p1", "verdict": "convicted", "prosecution_date": "2023-02-01",
              "verdict_date": "2023-09-10", "offence_code": "02041",
              "exploitation_form": "sexual-exploitation", "court": "LG Berlin"} | over  # fmt: skip
    return court.CourtOutcomeInput(**values)


def fix(**over: str) -> court.CourtOutcomeInput:
    """A correction's values: the recorded ones with OVER changed (the defendant kept)."""
    return typed(defendant="", **over)


# --- the ICCS code against the form of exploitation ----------------------------------


@pytest.mark.parametrize(
    ("code", "form"),
    [("02041", "forced-labour"), ("02042", "sexual-exploitation"), ("02043", "forced-labour"),
     ("02041", "organ-removal"), ("02044", "pornography"), ("02042", "debt-bondage"),
     ("02043", "forced-begging"), ("02042", "other")],
)  # fmt: skip
def test_a_purpose_code_of_another_form_is_refused_naming_both_fields(code: str, form: str) -> None:
    with pytest.raises(ValueError) as refused:
        court.check(typed(offence_code=code, exploitation_form=form), TODAY)
    text = str(refused.value)
    assert text.startswith("offence_code: ") and "exploitation_form" in text
    assert code in text and repr(form) in text


@pytest.mark.parametrize(
    ("code", "form"),
    [("02041", "sexual"), ("02041", "sexual-pornography"), ("02042", "forced-labour-fishing"),
     ("02042", "forced-begging"), ("02044", "forced-begging"), ("02043", "organ-removal"),
     ("02044", "forced-marriage"), ("02044", "forced-criminality"), ("02042", "servitude")],
)  # fmt: skip
def test_a_purpose_code_of_the_form_passes(code: str, form: str) -> None:
    props = court.check(typed(offence_code=code, exploitation_form=form), TODAY)
    assert (props["offenceCode"], props["exploitationForm"]) == (code, form)


@given(st.sampled_from(EXPLOITATION_FORMS), st.sampled_from(sorted(court.OFFENCE_CODES)))
def test_every_form_has_codes_and_0204_fits_all(form: str, code: str) -> None:
    """0204 (unspecified) fits every form; a purpose code passes exactly when FORM_CODES
    lists it for the form, and every form has at least one purpose code."""
    assert court.FORM_CODES[form]
    values = typed(offence_code=code, exploitation_form=form)
    if code == "0204" or code in court.FORM_CODES[form]:
        assert court.check(values, TODAY)["offenceCode"] == code
    else:
        with pytest.raises(ValueError, match=r"^offence_code: .*exploitation_form"):
            court.check(values, TODAY)


def test_no_form_given_any_code_passes() -> None:
    for code in court.OFFENCE_CODES:
        assert court.check(typed(offence_code=code, exploitation_form=""), TODAY)


# --- correcting and retracting in the store ------------------------------------------


def a_world(store: Store) -> tuple[dict[str, Viewer], str, str]:
    """A1 holds suspect a1 (shared with all) and a conviction of it (A1 only)."""
    v = setup_agencies(store, {"A1": (), "B2": ()})
    person = write_entity(store, v["A1"], "Person",
                          {"name": "Ivo Marinov", "gender": "male", "topics": SUSPECT_TOPIC},
                          Sharing.to_all(), kind="p")  # fmt: skip
    oid = court.record_court_outcome(store, v["A1"], typed(defendant=person))
    return v, person, oid


def submission(store: Store, viewer: Viewer, year: int = 2023) -> dict[gs.CellKey, int]:
    return {c.key: c.count for c in gs.from_store(store, viewer, year).cells}


def test_a_correction_changes_the_values_and_the_submission_counts_them(store: Store) -> None:
    v, person, oid = a_world(store)
    before = submission(store, v["A1"])
    assert before[CONVICTED] == 1 and before[SEXUAL] == 1 and LABOUR not in before
    change = court_changes.correct_court_outcome(
        store, v["A1"], oid,
        fix(offence_code="02042", exploitation_form="forced-labour", verdict_date="2024-01-15"),
        "form misread from the judgment",
    )  # fmt: skip
    assert change.change == "corrected" and change.outcome == oid
    assert "verdictDate: 2023-09-10 -> 2024-01-15" in change.changed
    assert "offenceCode: 02041 -> 02042" in change.changed
    outcome = store.entity(v["A1"], oid, purpose=None)
    assert outcome is not None
    assert (outcome.values("offenceCode"), outcome.values("verdictDate")) == (
        ["02042"],
        ["2024-01-15"],
    )
    assert outcome.values("court") == ["LG Berlin"]  # unchanged
    after_2023 = submission(store, v["A1"])
    assert CONVICTED not in after_2023 and after_2023[PROSECUTED] == 1  # verdict moved to 2024
    after_2024 = submission(store, v["A1"], 2024)
    assert after_2024[CONVICTED] == 1 and after_2024[LABOUR] == 1 and SEXUAL not in after_2024
    trace = gs.from_store(store, v["A1"], 2024).cell(LABOUR)
    assert trace is not None and trace.records == (oid,)
    (record,) = court_changes.history(store, v["A1"], oid)
    assert record.id == change.change_id and record.first("change") == "corrected"
    assert record.first("reason") == "form misread from the judgment"
    assert record.first("changedBy") == v["A1"].username
    assert record.first("defendant") == person and record.first("changedAt")


def test_a_retraction_withdraws_the_outcome_and_keeps_its_history(store: Store) -> None:
    v, person, oid = a_world(store)
    court_changes.retract_court_outcome(store, v["A1"], oid, "recorded twice")
    assert store.entity(v["A1"], oid, purpose=None) is None
    assert CONVICTED not in submission(store, v["A1"]) and PROSECUTED not in submission(
        store, v["A1"]
    )
    (record,) = court_changes.history(store, v["A1"], oid)
    assert record.first("change") == "retracted" and record.first("reason") == "recorded twice"
    said = court_changes.withdrawn_values(record)
    assert said["verdict"] == "convicted" and said["defendant"] == person
    assert said["offenceCode"] == "02041" and said["court"] == "LG Berlin"
    with pytest.raises(NotVisible):  # retracted: nothing left to retract or correct
        court_changes.retract_court_outcome(store, v["A1"], oid, "again")
    # the old statements are retracted, not deleted: the store keeps them
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(statement.c.prop, statement.c.retracted).where(statement.c.entity_id == oid)
        ).all()
    assert ("verdict", False) in rows and ("verdict", True) in rows


def test_both_are_audited_with_the_outcome_as_target(store: Store) -> None:
    v, _, oid = a_world(store)
    court_changes.correct_court_outcome(store, v["A1"], oid, fix(court="AG Mitte"), "typo")
    court_changes.retract_court_outcome(store, v["A1"], oid, "duplicate")
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                audit_log.c.action, audit_log.c.target, audit_log.c.username, audit_log.c.detail
            )
            .where(audit_log.c.action.like("court.%"))
            .order_by(audit_log.c.seq)
        ).all()
    assert [(r.action, r.target, r.username) for r in rows] == [
        ("court.correct", oid, v["A1"].username),
        ("court.retract", oid, v["A1"].username),
    ]
    assert all(json.loads(r.detail)["statements"] > 0 for r in rows)


def test_refusals_name_the_field(store: Store) -> None:
    v, person, oid = a_world(store)
    a1 = v["A1"]
    cases = [
        (fix(offence_code="02041", exploitation_form="forced-labour"), "x", "offence_code"),
        (fix(verdict_date="2023-01-01"), "x", "verdict_date"),
        (fix(verdict="guilty"), "x", "verdict"),
        (fix(verdict="pending"), "x", "verdict_date"),
        (fix(court="AG Mitte"), "  ", "reason"),
        (typed(defendant="a1.someone-else", court="AG Mitte"), "x", "defendant"),
        (typed(defendant=person), "x", "values"),  # nothing changed
    ]
    for values, reason, field in cases:
        with pytest.raises(ValueError, match=rf"^{field}: "):
            court_changes.correct_court_outcome(store, a1, oid, values, reason)
    with pytest.raises(ValueError, match=r"^reason: "):
        court_changes.retract_court_outcome(store, a1, oid, "")
    with pytest.raises(ValueError, match=r"^reason: "):
        court_changes.retract_court_outcome(store, a1, oid, "x" * (court_changes.REASON + 1))
    assert court_changes.history(store, a1, oid) == []  # nothing written


def test_only_the_recording_agency_changes_an_outcome(store: Store) -> None:
    v, person, oid = a_world(store)
    with pytest.raises(NotVisible):  # B2 cannot read A1's outcome (A1 only)
        court_changes.retract_court_outcome(store, v["B2"], oid, "not ours")
    shared = court.record_court_outcome(store, v["A1"], typed(defendant=person), Sharing.to_all())
    with pytest.raises(AccessDenied, match=r"^outcome_id: .*recorded by A1"):
        court_changes.correct_court_outcome(store, v["B2"], shared, fix(court="X"), "mine now")
    with pytest.raises(AccessDenied, match=r"^outcome_id: "):
        court_changes.retract_court_outcome(store, v["B2"], shared, "mine now")
    with pytest.raises(NotVisible):
        court_changes.retract_court_outcome(store, v["A1"], person, "a person, not an outcome")
    no_role = Viewer("A1", "nobody", frozenset())
    with pytest.raises(AccessDenied):
        court_changes.retract_court_outcome(store, no_role, oid, "x")
    assert store.entity(v["B2"], shared, purpose=None) is not None


def test_the_history_is_shared_as_the_outcome_was(store: Store) -> None:
    v, person, _ = a_world(store)
    shared = court.record_court_outcome(store, v["A1"], typed(defendant=person), Sharing.to_all())
    private = court.record_court_outcome(store, v["A1"], typed(defendant=person, court="AG"))
    court_changes.retract_court_outcome(store, v["A1"], shared, "wrong court")
    court_changes.retract_court_outcome(store, v["A1"], private, "secret reason")
    assert [c.first("reason") for c in court_changes.history(store, v["B2"], shared)] == [
        "wrong court"
    ]
    assert court_changes.history(store, v["B2"], private) == []


def test_the_case_lists_its_subjects_outcomes_with_marks(store: Store) -> None:
    v, person, oid = a_world(store)
    case = open_case(store, v["A1"], "K-1", "Ring", "sexual-exploitation", [person], {})
    kept = court.record_court_outcome(store, v["A1"], typed(defendant=person, verdict="pending",
                                                            verdict_date=""))  # fmt: skip
    court_changes.correct_court_outcome(store, v["A1"], oid, fix(verdict="acquitted"), "appeal")
    gone = court.record_court_outcome(store, v["A1"], typed(defendant=person, court="AG"))
    court_changes.retract_court_outcome(store, v["A1"], gone, "duplicate")
    found = store.entity(v["A1"], case, purpose=None)
    assert found is not None
    rows = {r.outcome_id: r for r in case_court_outcomes(store, v["A1"], found)}
    assert set(rows) == {oid, kept, gone}
    assert (
        rows[oid].corrected
        and not rows[oid].retracted
        and rows[oid].values["verdict"] == "acquitted"
    )
    assert not rows[kept].corrected and rows[kept].values["verdict"] == "pending"
    assert rows[gone].retracted and rows[gone].values["court"] == "AG"
    assert rows[gone].values["verdict"] == "convicted" and rows[gone].defendant == person
    assert all(r.own for r in rows.values() if not r.retracted)
    assert [c.first("reason") for c in rows[gone].changes] == ["duplicate"]


def test_the_generic_value_correction_does_not_bypass_the_check(store: Store) -> None:
    """A court outcome's value is not replaced or retracted alone (no form check, no
    reason): the generic correction points to the outcome's own path; narrowing stays."""
    from palermo.store import corrections

    v, _, oid = a_world(store)
    for action, new in (("replace", "02042"), ("retract", None)):
        with pytest.raises(ValueError, match=r"^action: .*court-outcomes"):
            corrections.correct(store, v["A1"], oid, "offenceCode", "02041", action, new)
    outcome = store.entity(v["A1"], oid, purpose=None)
    assert outcome is not None and outcome.values("offenceCode") == ["02041"]


def test_changes_within_one_second_are_ordered_as_they_were_written() -> None:
    """``changedAt`` keeps seconds only: a correction and a retraction in the same second
    come in the order their statements were first seen (written to the microsecond),
    whatever their ids (random: a fresh-clone run once listed the retraction first)."""
    from datetime import UTC, datetime, timedelta

    from palermo.coordination.court_changes import _written
    from palermo.store.views import Entity, Value

    at = datetime(2026, 11, 30, 16, 0, 0, 100, tzinfo=UTC)

    def change(entity_id: str, kind: str, seen: datetime) -> Entity:
        def value(v: str) -> Value:
            return Value(v, "DE-BKA", entity_id, seen, None, "p", "all", False, entity_id + v)

        props = {"change": [value(kind)], "changedAt": [value("2026-11-30T16:00:00+00:00")]}
        return Entity(entity_id, "CourtOutcomeChange", props)

    first = change("de-bka.zzz", "corrected", at)
    later = change("de-bka.aaa", "retracted", at + timedelta(microseconds=400))
    ordered = sorted([later, first], key=_written)
    assert [e.first("change") for e in ordered] == ["corrected", "retracted"]
