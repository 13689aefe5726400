"""Victim statistics an analyst may see: Global-Report counts over victim records, released
only as k-suppressed tables (`analysis.suppression`).

Victim records are victim-sensitive: an analyst reads every value of them masked, so the
trend charts built from an analyst's export show nothing but "unknown". The counts here are
computed from the values themselves, but only over the records whose audience reaches the
viewer's agency (the victim's consent decides that audience: `coordination.victims`), with
the same SQL rule as every read (`visibility.may_see`, `visibility.is_current`), and no value,
id or row leaves this module: the caller gets suppressed tables and nothing else.

This is the one read path that uses unmasked victim values for a viewer without the
victim-support role, which is why it reads the statement table itself (ADR 0021) instead of
going through `Store.export`, whose rows would carry the values out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from palermo.access.viewer import Viewer
from palermo.analysis.statistics import age_group, first, form_groups, record_year, sex_age
from palermo.analysis.suppression import K, SafeTable, suppress
from palermo.model.statement import BASE
from palermo.store.purpose_view import copy_usable, statement_copy
from palermo.store.store import Store
from palermo.store.tables import policy, statement
from palermo.store.visibility import is_current, may_see

RECORD_PROPS = (
    BASE,
    "victim",
    "exploitationForm",
    "exploitationCountry",
    "registrationYear",
    "startDate",
    "date",
    "isMinor",
    "ageBand",
)
PERSON_PROPS = ("gender", "nationality", "birthDate")
CHUNK = 500
SEVERAL = "Several forms"
NOT_REPORTED = "Not reported"


@dataclass
class _Record:
    props: dict[str, list[str]] = field(default_factory=dict)
    first_year: str = ""


def _rows(
    store: Store,
    viewer: Viewer,
    where: sa.ColumnElement[bool],
    props: Sequence[str],
    purpose: str | None = None,
) -> list[tuple[str, str, str, object]]:
    """(entity, prop, value, first seen) of the statements the viewer may see; with a
    declared ``purpose`` (H0, ADR 0051) only those whose copy allows it (`copy_usable`:
    the viewer's own, stated for no purpose, or stating it)."""
    query = sa.select(
        statement.c.entity_id,
        statement.c.prop,
        statement.c.value,
        statement.c.first_seen,
        statement.c.agency,
        statement.c.policy_id,
    ).where(where, statement.c.prop.in_(props), may_see(viewer), is_current())
    with store.engine.connect() as conn:
        rows = list(conn.execute(query))
        if purpose is None:
            return [(str(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows]
        ids = sorted({str(r[5]) for r in rows})
        canonical: dict[str, str] = {}
        for start in range(0, len(ids), CHUNK):
            part = ids[start : start + CHUNK]
            found = conn.execute(
                sa.select(policy.c.id, policy.c.canonical).where(policy.c.id.in_(part))
            )
            canonical.update({str(p[0]): str(p[1]) for p in found})
    return [
        (str(r[0]), str(r[1]), str(r[2]), r[3])
        for r in rows
        if copy_usable(statement_copy("", "", str(r[4]), canonical[str(r[5])], viewer), purpose)
    ]


def _records(store: Store, viewer: Viewer, purpose: str | None) -> dict[str, _Record]:
    records: dict[str, _Record] = {}
    rows = _rows(store, viewer, statement.c.schema == "VictimRecord", RECORD_PROPS, purpose)
    usable = {entity_id for entity_id, prop, _, _ in rows if prop == BASE}
    for entity_id, prop, value, seen in rows:
        if purpose is not None and entity_id not in usable:
            continue  # its id is withheld for the purpose: the record is not counted
        record = records.setdefault(entity_id, _Record())
        year = str(seen)[:4]
        if year.isdigit() and (not record.first_year or year < record.first_year):
            record.first_year = year
        if prop != BASE:
            record.props.setdefault(prop, []).append(value)
    return records


def _persons(
    store: Store, viewer: Viewer, ids: Iterable[str], purpose: str | None
) -> dict[str, dict[str, list[str]]]:
    wanted = sorted(set(ids))
    persons: dict[str, dict[str, list[str]]] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for entity_id, prop, value, _ in _rows(
            store, viewer, statement.c.entity_id.in_(chunk), PERSON_PROPS, purpose
        ):
            persons.setdefault(entity_id, {}).setdefault(prop, []).append(value)
    return persons


def _form(record: dict[str, list[str]]) -> str:
    forms = record.get("exploitationForm", [])
    if not forms:
        return NOT_REPORTED
    groups = form_groups(forms)
    return groups.pop() if len(groups) == 1 else SEVERAL


def _country(code: str) -> str:
    return code.upper() if len(code) == 2 else code


@dataclass(frozen=True)
class VictimTables:
    """What the statistics page shows: each table k-suppressed, ``total`` None if withheld."""

    total: int | None
    tables: list[SafeTable]
    k: int


def victim_tables(
    store: Store, viewer: Viewer, k: int = K, purpose: str | None = None
) -> VictimTables:
    """Counts of the victim records the viewer's agency is in the audience of, by sex and
    age, form of exploitation, year, country of exploitation and citizenship; every table
    a partition of the same victims, each suppressed below ``k``. The read is audited.

    With a declared ``purpose`` (the web page's session purpose; ADR 0051, amendment) a
    value another agency stated (H0) for other purposes is not counted (the victim counts
    under "unknown" for that table), nor a record whose id statement is; None counts
    every value."""
    viewer.require_data_role("read victim statistics")
    records = _records(store, viewer, purpose)
    victims = (first(r.props, "victim", "") for r in records.values())
    persons = _persons(store, viewer, victims, purpose)
    counts: dict[str, Counter[str]] = {name: Counter() for name in CAPTIONS}
    for record in records.values():
        victim = persons.get(first(record.props, "victim", ""), {})
        year = record_year(record.props)
        sex, age = first(victim, "gender"), age_group(record.props, victim)
        counts["sex_age"][sex_age(sex, age)] += 1
        counts["form"][_form(record.props)] += 1
        counts["year"][record.first_year if year == "unknown" and record.first_year else year] += 1
        counts["country"][_country(first(record.props, "exploitationCountry"))] += 1
        counts["citizenship"][_country(first(victim, "nationality"))] += 1
    tables = [suppress(CAPTIONS[name], counts[name], k) for name in CAPTIONS]
    total = tables[0].total
    detail: dict[str, object] = {"records": len(records), "k": k}
    if purpose is not None:
        detail["purpose"] = purpose or None
    store.audit_event(viewer, "statistics.victims", "(suppressed aggregates)", detail)
    return VictimTables(total, tables, k)


CAPTIONS = {
    "sex_age": "Detected victims by sex and age",
    "form": "Detected victims by form of exploitation",
    "year": "Detected victims by year",
    "country": "Detected victims by country of exploitation",
    "citizenship": "Detected victims by citizenship",
}
