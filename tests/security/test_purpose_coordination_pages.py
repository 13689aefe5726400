"""Property: no page of the coordination area, and no answer of the web screening forms,
shows a value stated (H0) for another purpose than the session's (ADR 0051, amendment), on
SQLite and PostgreSQL.

Random small worlds of `test_purpose_outputs.make_world` (three agencies, random scopes,
every statement with its own random handling codes and H0 purposes: persons, victim records,
stolen-document reports), plus, made the same way, a case with a task and a note, a notice,
a legal assistance request, a joint operation and an agency message, each with a unique
word in every value a page shows. Every agency's analyst, with the session's purpose set by
the header bar's cookie (every coded purpose of the world, and none declared), opens the
case, notice, MLA, operation, message and victim pages, the dashboard and the victim
statistics, and screens every person by name and every document by number through the web
forms. No page holds a value the oracle forbids (another agency's value whose stated
purposes exclude the session's; with none declared, every value stated for a purpose); a
case, operation or message page that left a value out says whom to ask; the screening
answer says the purpose it screened for. Removing the session store from a page (reading
with `store_of`) makes it fail.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.api.read_purpose import COOKIE, sealed
from palermo.model.handling_merge import Marking
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.purpose_view import UNDECLARED
from palermo.store.store import Store
from palermo.web.render import id_path
from tests.conftest import wipe
from tests.security.test_handling_propagation import (
    AGENCIES,
    GROUPS,
    MARKS,
    OWNER,
    SCOPE,
    Record,
)
from tests.security.test_purpose_outputs import leaked, make_world
from tests.security.test_purpose_reads import word
from tests.store.factories import SYSTEM, setup_agencies

SESSION_PURPOSES = ("investigation", UNDECLARED)
MARKER = "withheld: H0, stated for other purposes; ask "
# the values the oracle checks: unique words a page may show (ids, agency codes, statuses
# and dates recur on every page and are not what H0 withholds here)
SHOWN = {
    "name",
    "passportNumber",
    "nationality",
    "exploitationCountry",
    "documentNumber",
    "reportStatus",
    "caseNumber",
    "title",
    "bodyText",
    "reason",
    "reference",
    "legalBasis",
    "subject",
}
Spec = tuple[str, str, list[Marking]]


def coordination_records(
    case: Spec, notice: Spec, request: Spec, operation: Spec, message: Spec, person_id: str
) -> list[Record]:
    """A case (with a task and a note of the same owner), a notice about ``person_id``, an
    MLA request, an operation and a message to every agency, each value a unique word."""
    o, s, m = case
    kase = Record(o, "InvestigationCase", s, {"caseNumber": word("Cn"), "title": word("Ti")}, m)
    out = [
        kase,
        Record(o, "CaseTask", s, {"case": kase.entity_id, "title": word("Tk")}, m),
        Record(o, "CaseNote", s, {"case": kase.entity_id, "bodyText": word("Nb")}, m),
    ]
    o, s, m = notice
    props = {"noticeType": "yellow", "subject": person_id, "reason": word("Rs")}
    out.append(Record(o, "Notice", s, props, m))
    o, s, m = request
    props = {"reference": word("Mr"), "requestType": "evidence", "legalBasis": word("Lb")}
    out.append(Record(o, "LegalAssistanceRequest", s, props, m))
    o, s, m = operation
    props = {"name": word("Op"), "actionTime": "2030-01-01T08:00:00+00:00", "coordinator": o}
    out.append(Record(o, "JointOperation", s, props, m))
    o, s, m = message
    props = {"subject": word("Sj"), "bodyText": word("Bd"), "fromAgency": o}
    out.append(Record(o, "AgencyMessage", s, props, m))
    for to in AGENCIES:  # toAgency holds several values: one statement each
        out[-1].stmts.append(_to(out[-1], to))
    return out


def _to(message: Record, agency: str) -> Statement:
    first = message.stmts[0]
    return Statement(
        first.entity_id,
        first.schema,
        "toAgency",
        agency,
        first.agency,
        first.source_record_id,
        first.sharing,
    )


def usable(stmt: Statement, viewer: Viewer, purpose: str) -> bool:
    stated = stmt.sharing.purposes
    return stmt.agency == viewer.agency or not stated or purpose in stated


def forbidden(world: list[Record], viewer: Viewer, purpose: str) -> set[str]:
    return {
        s.value
        for r in world
        if r.reaches(viewer.agency)
        for s in r.stmts
        if s.prop in SHOWN
        and not usable(s, viewer, purpose)
        and not (r.schema == "Notice" and s.prop == "subject")  # a person's id, not a word
    }


def held(record: Record, viewer: Viewer, purpose: str) -> bool:
    """Whether a page showing ``record`` leaves a value of it out (the marker's oracle)."""
    return any(s.prop != BASE and not usable(s, viewer, purpose) for s in record.stmts)


# one world where every value is another agency's, stated for investigation only: each
# page then has something to withhold from the others (random worlds rarely are all that)
ONLY_INVESTIGATION: Spec = ("B2", "all", [Marking.parse("H0:investigation|")])


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    persons=st.lists(st.tuples(OWNER, SCOPE, MARKS), min_size=1, max_size=2),
    victims=st.lists(st.tuples(OWNER, SCOPE, MARKS, st.integers(0, 9)), max_size=2),
    reports=st.lists(st.tuples(OWNER, SCOPE, MARKS), max_size=1),
    coordination=st.tuples(*[st.tuples(OWNER, SCOPE, MARKS)] * 5),
)
@example(
    persons=[ONLY_INVESTIGATION],
    victims=[("B2", "all", [Marking.parse("H0:investigation|")], 0)],
    reports=[ONLY_INVESTIGATION],
    coordination=(ONLY_INVESTIGATION,) * 5,
)
def test_no_coordination_page_shows_a_value_the_session_purpose_may_not_use(
    store: Store,
    persons: list[Spec],
    victims: list[tuple[str, str, list[Marking], int]],
    reports: list[Spec],
    coordination: tuple[Spec, Spec, Spec, Spec, Spec],
) -> None:
    wipe(store)
    viewers = setup_agencies(store, GROUPS)
    world = make_world(persons, victims, reports, word)
    world += coordination_records(*coordination, world[0].entity_id)
    for record in world:
        store.write(viewers[record.owner], record.stmts)
    client = TestClient(create_app(store, rate_limit=0))
    for agency in AGENCIES:
        viewer = viewers[agency]
        bearer = store.create_token(SYSTEM, viewer.username, "purpose pages property")
        for purpose in SESSION_PURPOSES:
            client.cookies.set("palermo_token", bearer)
            if purpose:
                client.cookies.set(COOKIE, sealed(purpose, bearer))
            try:
                _check_pages(client, world, viewer, purpose)
                _check_screening(client, world, viewer, purpose)
            finally:
                client.cookies.clear()


def _get(client: TestClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code in (200, 403, 404), f"{path}: {answer.status_code}"
    return answer.text


def _check_pages(client: TestClient, world: list[Record], viewer: Viewer, purpose: str) -> None:
    gone = forbidden(world, viewer, purpose)
    for path in ("/", "/cases", "/notices", "/mla", "/operations", "/messages", "/victims"):
        html = _get(client, path)
        assert not leaked(html, gone), f"{path} for {viewer.agency}, purpose {purpose!r}"
    _get(client, "/statistics")  # counts only, k-suppressed: it must still answer
    pages = {
        "InvestigationCase": "/cases/",
        "JointOperation": "/operations/",
        "AgencyMessage": "/messages/",
        "VictimRecord": "/victims/",
    }
    for r in world:
        if r.schema not in pages or not r.reaches(viewer.agency):
            continue
        path = pages[r.schema] + id_path(r.entity_id)
        answer = client.get(path)
        assert answer.status_code in (200, 403), f"{path}: {answer.status_code}"
        html = answer.text.replace(r.entity_id, "")
        assert not leaked(html, gone), f"{path} for {viewer.agency}, purpose {purpose!r}"
        if answer.status_code == 200 and r.schema != "VictimRecord" and held(r, viewer, purpose):
            assert MARKER + r.owner in answer.text, f"{path}: no withheld note"


def _check_screening(client: TestClient, world: list[Record], viewer: Viewer, purpose: str) -> None:
    """The screening forms screen for the session's purpose (else ``screening``) and say so."""
    screened_for = purpose or "screening"
    gone = forbidden(world, viewer, screened_for)
    for r in world:
        if not r.reaches(viewer.agency):
            continue
        asked: dict[str, Any]
        if r.schema == "Person":
            asked = {"name": r.props["name"]}
            answer = client.post("/screening/person", data=_form(client, asked))
            typed = r.props["name"]
        elif r.schema == "DocumentReport":
            asked = {"number": r.props["documentNumber"]}
            answer = client.post("/screening/document", data=_form(client, asked))
            typed = r.props["documentNumber"]
        else:
            continue
        assert answer.status_code == 200, answer.text
        assert not leaked(answer.text, gone, asked=typed), f"screening for {screened_for!r}"
        assert f"Screened for the purpose <strong>{screened_for}</strong>" in answer.text


def _form(client: TestClient, fields: dict[str, str]) -> dict[str, str]:
    """The form's fields with the page's CSRF token (read from the screening page)."""
    html = client.get("/screening").text
    token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return {"csrf_token": token, **fields}


def test_victim_statistics_count_only_what_the_session_purpose_may_use(store: Store) -> None:
    """K victim records of another agency, their country of exploitation stated for
    investigation only: the statistics list that country for a session that declared
    investigation, and count the victims under "unknown" for one that did not."""
    from palermo.analysis.suppression import K
    from palermo.analysis.victim_aggregates import victim_tables

    wipe(store)
    viewers = setup_agencies(store, GROUPS)
    person = Record("B2", "Person", "all", {"nationality": "ua"}, [Marking()])
    stmts = list(person.stmts)
    for _ in range(K):
        record = Record("B2", "VictimRecord", "all", {"victim": person.entity_id}, [Marking()])
        country = Marking.parse("H0:investigation|")
        stmts += [*record.stmts, _prop(record, "exploitationCountry", "th", country)]
    store.write(viewers["B2"], stmts)
    analyst = viewers["A1"]

    def countries(purpose: str | None) -> dict[str, int]:
        tables = victim_tables(store, analyst, k=2, purpose=purpose)
        return dict(next(t for t in tables.tables if "country of" in t.caption).rows)

    assert countries("investigation").get("TH") == K
    assert "TH" not in countries("") and "TH" not in countries("court")
    assert countries(None).get("TH") == K  # internal callers: every value
    client = TestClient(create_app(store, rate_limit=0))
    bearer = store.create_token(SYSTEM, analyst.username, "statistics purpose")
    client.cookies.set("palermo_token", bearer)
    shown = '<th scope="row">TH</th>'
    assert shown not in client.get("/statistics").text  # none declared
    client.cookies.set(COOKIE, sealed("investigation", bearer))
    assert shown in client.get("/statistics").text


def _prop(record: Record, prop: str, value: str, marking: Marking) -> Statement:
    """One more statement of ``record`` under its own marking (its stated purposes)."""
    base = record.stmts[0]
    codes = [h.value for h in marking.handling]
    sharing = replace(Sharing.parse(record.scope, codes), purposes=marking.purposes or frozenset())
    return Statement(
        base.entity_id, base.schema, prop, value, base.agency, base.source_record_id, sharing
    )


def test_a_bound_store_reads_for_its_purpose_and_the_ledger_captions_follow(store: Store) -> None:
    """`Store.for_purpose`: reads without ``purpose=`` use the bound one, an explicit
    ``purpose=None`` reads every value, the node's store is unchanged; the identity
    ledger's captions (`ledger_access._captions`) show a withheld name as the record id."""
    from palermo.match.ledger_access import _captions

    wipe(store)
    viewers = setup_agencies(store, GROUPS)
    name = Marking.parse("H0:investigation|")
    record = Record("B2", "Person", "all", {"name": word("Nm")}, [Marking(), name])
    store.write(viewers["B2"], record.stmts)
    analyst, wanted = viewers["A1"], record.props["name"]
    assert store.read_purpose is None
    for bound, shown in (
        (store.for_purpose(""), False),
        (store.for_purpose("investigation"), True),
    ):
        found = bound.entity(analyst, record.entity_id)
        assert found is not None and (wanted in found.values("name")) is shown
        everything = bound.entities(analyst, ids=[record.entity_id], purpose=None)
        assert wanted in everything[0].values("name")  # an explicit None: every value
        caption = _captions(bound, analyst, everything)[record.entity_id]
        assert caption == (wanted if shown else record.entity_id)
    plain = store.entity(analyst, record.entity_id)
    assert plain is not None and wanted in plain.values("name")  # the node's store: as before


def test_the_coordination_api_reads_for_the_declared_purpose(store: Store) -> None:
    """``GET /api/v1/cases/{id}`` and the cases list leave out a title stated (H0) for
    investigation only unless the request declares it (``Palermo-Purpose`` or ``purpose=``),
    and name it under ``withheld``."""
    wipe(store)
    viewers = setup_agencies(store, GROUPS)
    only = Marking.parse("H0:investigation|")
    props = {"caseNumber": "B2-1", "title": word("Ti")}
    # BASE and caseNumber for any purpose, the title for investigation only
    case = Record("B2", "InvestigationCase", "all", props, [Marking(), Marking(), only])
    store.write(viewers["B2"], case.stmts)
    client = TestClient(create_app(store, rate_limit=0))
    bearer = store.create_token(SYSTEM, viewers["A1"].username, "coordination api purpose")
    auth = {"Authorization": f"Bearer {bearer}"}
    title = case.props["title"]
    path = f"/api/v1/cases/{case.entity_id}"
    none = client.get(path, headers=auth)
    assert none.status_code == 200 and title not in none.text
    assert none.json()["case"]["withheld"] == {"title": ["B2"]}
    declared = client.get(path, headers={**auth, "Palermo-Purpose": "investigation"})
    assert title in declared.text and declared.json()["case"]["withheld"] == {}
    listed = client.get("/api/v1/cases", headers=auth, params={"purpose": "investigation"})
    assert title in listed.text
    assert title not in client.get("/api/v1/cases", headers=auth).text
    bad = client.get(path, headers={**auth, "Palermo-Purpose": "investigaton"})
    assert bad.status_code == 400 and "Palermo-Purpose" in bad.text
