"""Property: a read shows no value whose H0 excludes the purpose it declares (ADR 0051), on
SQLite and PostgreSQL; declaring the allowed purpose shows it.

The random small worlds of `test_purpose_outputs` (three agencies, random scopes, every
statement with its own random handling codes and H0 purposes: persons with a unique name,
passport number and nationality, victim records with a unique country of exploitation and
an indicator, stolen-document reports), read over HTTP by every agency's analyst for every
coded purpose and for none declared:

- search (``GET /api/v1/search`` with ``Palermo-Purpose``): every visible person is still
  found by its family name (the hit is reported), with no forbidden value, exactly its
  usable name, and ``withheld`` naming the name's owner when it is withheld;
- search facets (``facets=true``, and the web search page under the session's purpose):
  no facet value or count derives from a withheld value: the country facet holds the
  nationality exactly when it is usable, the agency facet the owner exactly when the
  matched name is, and filtering on either finds the hit exactly then (ADR 0051,
  amendment); the hit itself is always counted (total, type);
- entity pages as API JSON (``purpose=``) and as web HTML (the session's purpose cookie
  the header bar's form sets): no forbidden value; the JSON holds every usable value and
  names exactly the withheld properties; the HTML shows the marker when one is withheld;
- the link chart (``GET /api/v1/analysis/graph``): no forbidden value in any node or link;
- risk (``GET /api/v1/analysis/risk``): the evidence cited is exactly the evidence of the
  unfiltered workspace whose victim link and indicator the purpose may use, about a person
  whose record the purpose may use (its id and at least one other value).

The oracle is the world the test wrote (`forbidden`, `usable`): a value is forbidden for
(viewer, purpose) when it is another agency's value whose stated purposes exclude it; with
no purpose declared, every such value with stated purposes is.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.analysis.service import Workspace
from palermo.api.app import create_app
from palermo.api.read_purpose import COOKIE, sealed
from palermo.model.handling_merge import Marking
from palermo.model.statement import BASE, Statement
from palermo.store.purpose_view import UNDECLARED
from palermo.store.store import Store
from tests.conftest import wipe
from tests.security.test_handling_propagation import (
    AGENCIES,
    GROUPS,
    INDICATORS,
    MARKS,
    OWNER,
    SCOPE,
    Record,
    token,
)
from tests.security.test_purpose_outputs import ID_PROPS, leaked, make_world
from tests.store.factories import SYSTEM, setup_agencies

READ_PURPOSES = ("investigation", "analysis", "court", UNDECLARED)
MARKER = "withheld: H0, stated for other purposes; ask "


def word(prefix: str) -> str:
    """A unique name part of letters only: a part with digits is searched as an identifier."""
    return prefix + "".join(chr(ord("a") + int(c, 16)) for c in token("")[:10])


def usable(stmt: Statement, viewer: Viewer, purpose: str) -> bool:
    """The oracle: the viewer's own value, one stated for no purpose, or one stating it."""
    stated = stmt.sharing.purposes
    return stmt.agency == viewer.agency or not stated or purpose in stated


def forbidden(world: list[Record], viewer: Viewer, purpose: str) -> set[str]:
    """The values ``viewer`` may see that ``purpose`` may not use (ids aside); indicator
    codes are not unique to a record, so the risk check covers them instead."""
    return {
        s.value
        for r in world
        if r.reaches(viewer.agency)
        for s in r.stmts
        if s.prop not in ID_PROPS | {"indicators"} and not usable(s, viewer, purpose)
    }


def headers_for(bearer: str, purpose: str) -> dict[str, str]:
    out = {"Authorization": f"Bearer {bearer}"}
    return out | ({"Palermo-Purpose": purpose} if purpose else {})


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    persons=st.lists(st.tuples(OWNER, SCOPE, MARKS), min_size=1, max_size=3),
    victims=st.lists(st.tuples(OWNER, SCOPE, MARKS, st.integers(0, 9)), max_size=3),
    reports=st.lists(st.tuples(OWNER, SCOPE, MARKS), max_size=1),
)
def test_no_read_shows_a_value_its_declared_purpose_may_not_use(
    store: Store,
    persons: list[tuple[str, str, list[Marking]]],
    victims: list[tuple[str, str, list[Marking], int]],
    reports: list[tuple[str, str, list[Marking]]],
) -> None:
    wipe(store)
    viewers = setup_agencies(store, GROUPS)
    world = make_world(persons, victims, reports, word, INDICATORS)
    for record in world:
        store.write(viewers[record.owner], record.stmts)
    client = TestClient(create_app(store, rate_limit=0))
    for agency in AGENCIES:
        viewer = viewers[agency]
        bearer = store.create_token(SYSTEM, viewer.username, "purpose property")
        everything = Workspace.load(store, viewer).risk(top=1000)
        for purpose in READ_PURPOSES:
            gone = forbidden(world, viewer, purpose)
            mine = [r for r in world if r.reaches(agency)]
            _check_entities(client, bearer, mine, viewer, purpose, gone)
            _check_pages(client, bearer, mine, viewer, purpose, gone)
            _check_chart(client, bearer, purpose, gone)
            _check_risk(client, bearer, world, everything, viewer, purpose)
        for purpose in READ_PURPOSES:  # last: a search tells owners (a write, caches drop)
            gone = forbidden(world, viewer, purpose)
            _check_search(client, bearer, world, viewer, purpose, gone)
            _check_search_page(client, bearer, world, viewer, purpose, gone)


def _check_entities(
    client: TestClient,
    bearer: str,
    records: list[Record],
    viewer: Viewer,
    purpose: str,
    gone: set[str],
) -> None:
    for r in records:
        answer = client.get(
            f"/api/v1/entities/{r.entity_id}",
            params={"purpose": purpose} if purpose else {},
            headers=headers_for(bearer, ""),
        )
        assert answer.status_code == 200, answer.text
        assert not leaked(answer.text, gone), f"entity JSON {r.entity_id} for {purpose!r}"
        body = answer.json()
        shown = {(p, v["value"]) for p, vs in body["properties"].items() for v in vs}
        held = {s.prop for s in r.stmts if s.prop != BASE and not usable(s, viewer, purpose)}
        for s in r.stmts:
            if s.prop != BASE and usable(s, viewer, purpose):
                assert (s.prop, s.value) in shown, f"a usable {s.prop} is missing ({purpose!r})"
        assert set(body["withheld"]) == held, "withheld names exactly the props left out"
        if held:
            assert body["withheld_note"] == MARKER + r.owner


def _check_pages(
    client: TestClient,
    bearer: str,
    records: list[Record],
    viewer: Viewer,
    purpose: str,
    gone: set[str],
) -> None:
    """The web entity page (the identity profile for persons) under the session's purpose."""
    client.cookies.set("palermo_token", bearer)
    if purpose:
        client.cookies.set(COOKIE, sealed(purpose, bearer))
    try:
        for r in records:
            html = client.get(f"/entities/{r.entity_id}").text
            assert not leaked(html.replace(r.entity_id, ""), gone), f"page {r.entity_id}"
            if any(s.prop != BASE and not usable(s, viewer, purpose) for s in r.stmts):
                assert MARKER + r.owner in html, f"page {r.entity_id}: no withheld marker"
    finally:
        client.cookies.clear()


def _check_chart(client: TestClient, bearer: str, purpose: str, gone: set[str]) -> None:
    answer = client.get("/api/v1/analysis/graph", headers=headers_for(bearer, purpose))
    assert answer.status_code == 200, answer.text
    assert not leaked(answer.text, gone), f"link chart for {purpose!r}"


def _cited(rows: list[dict[str, Any]]) -> set[str]:
    return {r for row in rows for f in row["indicators"] for r in f["records"]}


def _check_risk(
    client: TestClient,
    bearer: str,
    world: list[Record],
    everything: list[dict[str, Any]],
    viewer: Viewer,
    purpose: str,
) -> None:
    answer = client.get(
        "/api/v1/analysis/risk", params={"top": 1000}, headers=headers_for(bearer, purpose)
    )
    assert answer.status_code == 200, answer.text
    by_id = {r.entity_id: r for r in world}

    def kept(record_id: str) -> bool:
        """Whether the record is in the purpose's workspace: its id statement and at least
        one other value usable (`purpose_view.for_purpose`)."""
        r = by_id.get(record_id)
        if r is None or not r.reaches(viewer.agency):
            return True  # not read at all: the same with or without a purpose
        first, *rest = r.stmts
        return usable(first, viewer, purpose) and any(usable(s, viewer, purpose) for s in rest)

    def allowed(record_id: str) -> bool:
        """Evidence of a victim record: its link and indicator usable, it and its person kept."""
        r = by_id.get(record_id)
        if r is None:
            return True
        cited = [s for s in r.stmts if s.prop in (BASE, "victim", "indicators")]
        return all(usable(s, viewer, purpose) for s in cited) and kept(r.props["victim"])

    expected = {r for r in _cited(everything) if allowed(r)}
    assert _cited(answer.json()["results"]) == expected, f"risk evidence for {purpose!r}"


def _check_search(
    client: TestClient,
    bearer: str,
    world: list[Record],
    viewer: Viewer,
    purpose: str,
    gone: set[str],
) -> None:
    for r in world:
        if r.schema != "Person" or not r.reaches(viewer.agency):
            continue
        name = r.props["name"]
        family = name.split()[1]
        answer = client.get(
            "/api/v1/search",
            params={"q": family, "facets": "true"},
            headers=headers_for(bearer, purpose),
        )
        assert answer.status_code == 200, answer.text
        assert not leaked(answer.text, gone), f"search (with facets) for {purpose!r}"
        body = answer.json()
        found = {e["id"]: e for e in body["results"]}
        assert r.entity_id in found, "a search hit is reported whatever the purpose"
        names = [v["value"] for v in found[r.entity_id]["properties"].get("name", [])]
        name_ok = usable(r.stmts[1], viewer, purpose)
        assert (name in names) is name_ok, "exactly the usable name is shown"
        assert ("name" in found[r.entity_id]["withheld"]) is not name_ok
        # The family name is unique to r: the facets are r's alone, from its usable values.
        nationality, nat_ok = r.props["nationality"], usable(r.stmts[3], viewer, purpose)
        facets = {f: {c["value"]: c["count"] for c in cs} for f, cs in body["facets"].items()}
        assert body["total"] == 1 and facets["schema"] == {"Person": 1}, "the hit counts"
        assert facets["country"] == ({nationality: 1} if nat_ok else {}), f"{purpose!r}"
        assert facets["agency"] == ({r.owner: 1} if name_ok else {}), f"{purpose!r}"
        assert facets["topic"] == {}
        for facet, value, ok in (("country", nationality, nat_ok), ("agency", r.owner, name_ok)):
            narrowed = client.get(
                "/api/v1/search",
                params={"q": family, facet: value},
                headers=headers_for(bearer, purpose),
            )
            assert narrowed.status_code == 200, narrowed.text
            assert not leaked(narrowed.text, gone)
            total = int(narrowed.headers["X-Total-Count"])
            assert total == int(ok), f"{facet} filter on a withheld value for {purpose!r}"


def _check_search_page(
    client: TestClient,
    bearer: str,
    world: list[Record],
    viewer: Viewer,
    purpose: str,
    gone: set[str],
) -> None:
    """The web search page under the session's purpose: its facet links likewise."""
    client.cookies.set("palermo_token", bearer)
    if purpose:
        client.cookies.set(COOKIE, sealed(purpose, bearer))
    try:
        for r in world:
            if r.schema != "Person" or not r.reaches(viewer.agency):
                continue
            family = r.props["name"].split()[1]
            html = client.get("/search", params={"q": family}).text
            assert r.entity_id in html, "the hit is listed"
            assert not leaked(html, gone, asked=family), f"search page for {purpose!r}"
            nationality = r.props["nationality"]
            nat_ok = usable(r.stmts[3], viewer, purpose)
            assert (f"{nationality}</a> (1)" in html) is nat_ok, "the country facet link"
            name_ok = usable(r.stmts[1], viewer, purpose)
            assert (f"agency={r.owner}" in html) is name_ok, "the agency facet link"
    finally:
        client.cookies.clear()


@pytest.mark.parametrize("header", ["investigaton", "INVESTIGATION "])
def test_a_declared_purpose_must_be_coded(store: Store, header: str) -> None:
    """A typo is a 400 naming the header; case and spaces are forgiven."""
    wipe(store)
    viewers = setup_agencies(store, GROUPS)
    bearer = store.create_token(SYSTEM, viewers["A1"].username, "t")
    client = TestClient(create_app(store, rate_limit=0))
    answer = client.get("/api/v1/entities", headers=headers_for(bearer, header))
    if header.strip().lower() == "investigation":
        assert answer.status_code == 200
    else:
        assert answer.status_code == 400
        assert answer.json()["field"] == "Palermo-Purpose"


def test_the_audit_row_of_a_read_names_its_purpose(store: Store) -> None:
    wipe(store)
    viewers = setup_agencies(store, GROUPS)
    record = make_world([("B2", "all", [Marking.parse("H0:investigation|")])], [], [], word)[0]
    store.write(viewers["B2"], record.stmts)
    bearer = store.create_token(SYSTEM, viewers["A1"].username, "t")
    client = TestClient(create_app(store, rate_limit=0))
    client.get(f"/api/v1/entities/{record.entity_id}", headers=headers_for(bearer, ""))
    client.get(
        f"/api/v1/entities/{record.entity_id}?purpose=investigation",
        headers=headers_for(bearer, ""),
    )
    reads = [
        json.loads(e.detail)
        for e in store.audit_entries()
        if e.action == "read" and e.agency == "A1"
    ]
    assert reads[-2] == {
        "entities": [record.entity_id],
        "purpose": None,
        "withheld": [record.entity_id],
    }
    assert reads[-1] == {"entities": [record.entity_id], "purpose": "investigation"}
