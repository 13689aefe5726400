"""Property: no value whose H0 excludes the declared purpose leaves in an export, a report
or a screening answer (ADR 0041), on SQLite and PostgreSQL.

Random small worlds in the generators of `test_handling_propagation` (three agencies, random
scopes, every statement with its own random handling codes and H0 purposes): persons with a
unique name, passport number and nationality, victim records with a unique country of
exploitation, and stolen-document reports with a unique status. For every agency's analyst
and every declared purpose:

- the export (`marked_lines` written by `export_format.write_lines`, what the CLI and
  ``GET /api/v1/export`` send) holds no such value;
- the report (`Workspace.report` rendered as HTML) holds none, states its purpose, and still
  shows every usable country of a victim record whose id statement is usable;
- the screening answers (each person by name, each document by number, and all of them as
  one manifest, as the API shapes them) hold none, yet every person screened is still found
  (the hit is reported) with exactly the names the purpose may use, and the owners of
  records whose values were withheld are sent a hit notice.

The oracle is the world the test wrote: a value is forbidden for (viewer, purpose) when it is
another agency's value whose stated purposes exclude the purpose.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.analysis.report import render_html
from palermo.analysis.service import Workspace
from palermo.api.screening_routes import candidate_dict, document_dict
from palermo.coordination import screening_notices
from palermo.match import manifest as manifests
from palermo.match.screening import build_index
from palermo.match.screening_purpose import WITHHELD_STATUS
from palermo.match.service import visible_entities
from palermo.model.handling_merge import Marking
from palermo.model.statement import BASE, Statement
from palermo.store.export_format import write_lines
from palermo.store.marked_export import marked_lines
from palermo.store.store import Store
from palermo.store.tables import hit_notice
from tests.conftest import wipe
from tests.security.test_handling_propagation import (
    AGENCIES,
    GROUPS,
    MARKS,
    OWNER,
    SCOPE,
    Record,
    token,
)
from tests.store.factories import setup_agencies

DECLARED = ("investigation", "analysis", "court", "screening", "statistics")
ID_PROPS = {BASE, "victim"}  # values that are record ids, shown with every hit


def make_world(
    persons: list[tuple[str, str, list[Marking]]],
    victims: list[tuple[str, str, list[Marking], int]],
    reports: list[tuple[str, str, list[Marking]]],
    name_part: Callable[[str], str] = token,
    indicators: Sequence[str] = (),
) -> list[Record]:
    """Persons, victim records (of the i-th person; with the i-th of INDICATORS if given) and
    stolen-document reports; NAME_PART makes each unique name part."""
    people = [
        Record(
            o,
            "Person",
            s,
            {
                "name": f"{name_part('Gv')} {name_part('Fm')}",
                "passportNumber": token("P").upper(),
                "nationality": token("nat"),
            },
            m,
        )
        for o, s, m in persons
    ]
    out = list(people)
    for o, s, m, i in victims:
        props = {"victim": people[i % len(people)].entity_id, "exploitationCountry": token("xc")}
        if indicators:
            props["indicators"] = indicators[i % len(indicators)]
        out.append(Record(o, "VictimRecord", s, props, m))
    for o, s, m in reports:
        props = {"documentNumber": token("D").upper(), "reportStatus": token("stolen-")}
        out.append(Record(o, "DocumentReport", s, props, m))
    return out


def usable(stmt: Statement, viewer: Viewer, purpose: str) -> bool:
    stated = stmt.sharing.purposes
    return stmt.agency == viewer.agency or not stated or purpose in stated


def forbidden(world: list[Record], viewer: Viewer, purpose: str) -> set[str]:
    """The values ``viewer`` may see that ``purpose`` may not use (ids aside)."""
    return {
        s.value
        for r in world
        if r.reaches(viewer.agency)
        for s in r.stmts
        if s.prop not in ID_PROPS and not usable(s, viewer, purpose)
    }


def leaked(text: str, values: set[str], asked: str = "") -> list[str]:
    """The forbidden values in ``text``, once what the asker typed is taken out of it."""
    if asked:
        text = text.replace(asked, "")
    return sorted(v for v in values if v in text)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    persons=st.lists(st.tuples(OWNER, SCOPE, MARKS), min_size=1, max_size=4),
    victims=st.lists(st.tuples(OWNER, SCOPE, MARKS, st.integers(0, 9)), max_size=3),
    reports=st.lists(st.tuples(OWNER, SCOPE, MARKS), max_size=2),
)
def test_no_value_leaves_for_a_purpose_its_h0_excludes(
    store: Store,
    persons: list[tuple[str, str, list[Marking]]],
    victims: list[tuple[str, str, list[Marking], int]],
    reports: list[tuple[str, str, list[Marking]]],
) -> None:
    wipe(store)
    viewers = setup_agencies(store, GROUPS)
    world = make_world(persons, victims, reports)
    for record in world:
        store.write(viewers[record.owner], record.stmts)
    for agency in AGENCIES:
        viewer = viewers[agency]
        workspace = Workspace.load(store, viewer)
        index = build_index(visible_entities(store, viewer))
        for purpose in DECLARED:
            gone = forbidden(world, viewer, purpose)
            _check_export(store, viewer, purpose, gone)
            _check_report(workspace, world, viewer, purpose, gone)
            _check_screening(store, index.for_purpose(purpose), world, viewer, purpose, gone)


def _check_export(store: Store, viewer: Viewer, purpose: str, gone: set[str]) -> None:
    for fmt in ("ftm", "csv"):
        out = io.StringIO()
        write_lines(marked_lines(store, viewer, purpose=purpose), fmt, out)
        assert not leaked(out.getvalue(), gone), f"export {fmt} for {purpose}"


def _check_report(
    workspace: Workspace, world: list[Record], viewer: Viewer, purpose: str, gone: set[str]
) -> None:
    html = render_html(workspace.report("t", "s", purpose))
    assert not leaked(html, gone), f"report for {purpose}"
    assert f"Produced for the purpose: {purpose}." in html
    for r in world:
        if r.schema != "VictimRecord" or not r.reaches(viewer.agency):
            continue
        base, country = r.stmts[0], r.stmts[2]
        if usable(base, viewer, purpose) and usable(country, viewer, purpose):
            assert country.value in html, f"report for {purpose} lost a usable country"


def _check_screening(
    store: Store,
    index: Any,
    world: list[Record],
    viewer: Viewer,
    purpose: str,
    gone: set[str],
) -> None:
    rows: list[tuple[int, dict[str, str]]] = []
    withheld: set[str] = set()
    for r in world:
        if r.schema != "Person" or not r.reaches(viewer.agency):
            continue
        name = r.props["name"]
        asked = name.upper()  # folded like the record's name, but not its spelling
        rows.append((len(rows) + 1, {"name": asked}))
        found = {c.person.id: c for c in index.screen(manifests.passenger({"name": asked}, 0))}
        assert r.entity_id in found, "a screening hit is reported whatever the purpose"
        answer = json.dumps([candidate_dict(c) for c in found.values()], ensure_ascii=False)
        assert not leaked(answer, gone, asked), f"person screening for {purpose}"
        names = candidate_dict(found[r.entity_id])["names"]
        assert (name in names) is (name not in gone), "exactly the usable names are shown"
        if any(not usable(s, viewer, purpose) for s in r.stmts if s.prop not in ID_PROPS):
            withheld.add(r.entity_id)
    for r in world:
        if r.schema != "DocumentReport" or not r.reaches(viewer.agency):
            continue
        number = r.props["documentNumber"]
        check = index.check_document(number)
        answer = json.dumps(document_dict(check), ensure_ascii=False)
        assert not leaked(answer, gone, number), f"document screening for {purpose}"
        assert check.status != "clear", "a reported document is never clear"
        status_ok = usable(r.stmts[2], viewer, purpose)
        assert (check.status == WITHHELD_STATUS) is not status_ok
    result = manifests.screen_manifest(index, rows)
    answer = json.dumps(
        [[candidate_dict(c) for c in p.candidates] + p.reasons for p in result.passengers],
        ensure_ascii=False,
    )
    assert not leaked(answer, gone, ""), f"manifest for {purpose}"
    _check_notices(store, index, viewer, sorted(withheld))


def _check_notices(store: Store, index: Any, viewer: Viewer, withheld: list[str]) -> None:
    """The owners of records whose values were withheld are told, with the purpose."""
    others = [i for i in withheld if not i.startswith(f"{viewer.agency.lower()}.")]
    screening_notices.notify(store, viewer, index, withheld, "border check")
    with store.engine.connect() as conn:
        told = {
            str(row.record_id)
            for row in conn.execute(
                sa.select(hit_notice.c.record_id).where(
                    hit_notice.c.searcher_agency == viewer.agency,
                    hit_notice.c.purpose.like("%H0 values withheld%"),
                )
            )
        }
    assert set(others) <= told, "the owner of a withheld value gets a hit notice"
