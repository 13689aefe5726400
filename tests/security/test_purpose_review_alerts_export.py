"""Property: the reads ADR 0051's amendment left reading every value now read for the
declared purpose (issue 19), on SQLite and PostgreSQL.

Random small worlds of `test_purpose_outputs.make_world` (three agencies, random scopes,
every statement with its own random handling codes and H0 purposes), plus, made the same
way: two person records the resolver is unsure of (the same name in another case, birth
dates a year apart), two that share a passport reported stolen (a standing link flagged
for review, its evidence and flag quoting the number), stolen-document reports with a
machine-readable zone, and every analyst subscribed to every random person (so each of
their statements raises an alert quoting its value). For every agency's analyst:

- the profile's JSON export without ``?purpose=`` (the session's purpose, none declared,
  or the ``Palermo-Purpose`` header), the review page and ``GET /api/v1/review``, the home
  dashboard (alerts and deconfliction hits), the subscriptions page and
  ``GET /api/v1/alerts``, and ``POST /api/v1/screening/mrz`` hold no value the oracle
  forbids: another agency's value whose stated purposes exclude the read's (with none
  declared, every value stated for a purpose; the MRZ check, like the document check,
  screens for ``screening`` when no coded purpose is declared);
- the review answer keeps no feature that compared a withheld property and names the
  records it cut under ``withheld``; a flag quoting a withheld report status is cut;
- every usable name still shows in the export, and the MRZ check answers a report's
  status when the declared purpose may use it (before, it screened for ``screening``
  whatever was declared).

The oracle is the world the test wrote (`usable`): a value another statement the viewer
may use also holds is not forbidden (the two review twins hold the same passport number).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.analysis.review_purpose import FEATURE_PROPS
from palermo.api.app import create_app
from palermo.api.read_purpose import COOKIE, sealed
from palermo.exchange import alert_purpose, alerts
from palermo.exchange.alerts import Alert
from palermo.model.handling_merge import Marking
from palermo.model.statement import BASE
from palermo.store.purpose_view import UNDECLARED
from palermo.store.store import Store
from palermo.web.render import id_path
from tests.conftest import wipe
from tests.match.test_mrz_entry_points import td3
from tests.security.test_handling_propagation import (
    AGENCIES,
    GROUPS,
    MARKS,
    OWNER,
    SCOPE,
    Record,
    token,
)
from tests.security.test_purpose_coordination_pages import ONLY_INVESTIGATION, Spec
from tests.security.test_purpose_outputs import leaked, make_world, usable
from tests.security.test_purpose_reads import word
from tests.store.factories import SYSTEM, setup_agencies

SESSION_PURPOSES = ("investigation", UNDECLARED)
MARKER = "withheld: H0, stated for other purposes; ask "
STOLEN = "stolen"  # a status the resolver flags (`xref.REPORTED`): checked on its own
SPEC = st.tuples(OWNER, SCOPE, MARKS)
FREE = [Marking()]  # no codes: every value usable


def review_records(pair: tuple[Spec, Spec], flagged: tuple[Spec, Spec, Spec]) -> list[Record]:
    """Two persons the resolver is unsure of, two sharing a stolen passport (a flagged
    link), its report, and four others that only give the model something to learn from."""
    given, family = word("Gv"), word("Fm")
    (o1, s1, m1), (o2, s2, m2) = pair
    out = [
        Record(o1, "Person", s1, {"name": f"{given} {family}", "birthDate": "1980-02-03"}, m1),
        Record(
            o2, "Person", s2, {"name": f"{given} {family}".upper(), "birthDate": "1981-02-03"}, m2
        ),
    ]
    given, family, number = word("Gv"), word("Fm"), token("P").upper()[:9]
    (o1, s1, m1), (o2, s2, m2), (o3, s3, m3) = flagged
    out += [
        Record(o1, "Person", s1, {"name": f"{given} {family}", "passportNumber": number}, m1),
        Record(
            o2, "Person", s2, {"name": f"{given} {family}".upper(), "passportNumber": number}, m2
        ),
        Record(o3, "DocumentReport", s3, {"documentNumber": number, "reportStatus": STOLEN}, m3),
    ]
    for year in range(1970, 1974):
        props = {"name": f"{word('Gv')} {word('Fm')}", "birthDate": f"{year}-01-01"}
        out.append(Record("A1", "Person", "all", props, FREE))
    return out


def mrz_reports(specs: list[Spec]) -> list[Record]:
    """Stolen-document reports whose number fits a passport zone (9 characters)."""
    return [
        Record(
            o,
            "DocumentReport",
            s,
            {"documentNumber": token("D").upper()[:9], "reportStatus": word("stolen")},
            m,
        )
        for o, s, m in specs
    ]


def forbidden(world: list[Record], viewer: Viewer, purpose: str) -> set[str]:
    """Values ``viewer`` reads that ``purpose`` may not use and no usable statement holds."""
    reached = [s for r in world if r.reaches(viewer.agency) for s in r.stmts if s.prop != BASE]
    allowed = {s.value for s in reached if usable(s, viewer, purpose)}
    return {s.value for s in reached if not usable(s, viewer, purpose)} - allowed - {STOLEN}


def held_props(record: Record, viewer: Viewer, purpose: str) -> set[str]:
    return {s.prop for s in record.stmts if s.prop != BASE and not usable(s, viewer, purpose)}


@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    persons=st.lists(SPEC, min_size=1, max_size=2),
    reports=st.lists(SPEC, min_size=1, max_size=2),
    pair=st.tuples(SPEC, SPEC),
    flagged=st.tuples(SPEC, SPEC, SPEC),
)
@example(
    persons=[ONLY_INVESTIGATION],
    reports=[ONLY_INVESTIGATION],
    pair=(ONLY_INVESTIGATION, ("C3", "all", FREE)),
    flagged=(("C3", "all", FREE), ("C3", "all", FREE), ONLY_INVESTIGATION),
)
def test_export_review_alerts_and_mrz_show_no_value_the_purpose_may_not_use(
    store: Store,
    persons: list[Spec],
    reports: list[Spec],
    pair: tuple[Spec, Spec],
    flagged: tuple[Spec, Spec, Spec],
) -> None:
    wipe(store)
    viewers = setup_agencies(store, GROUPS)
    people = make_world(persons, [], [], word)
    world = [*people, *mrz_reports(reports), *review_records(pair, flagged)]
    for agency in AGENCIES:  # before the data arrives: each statement raises an alert
        for person in people:
            alerts.subscribe(store, viewers[agency], "entity", person.entity_id)
    for record in world:
        store.write(viewers[record.owner], record.stmts)
    pushed: list[Alert] = []  # what the NATS push would send: read with no purpose
    alerts.scan(store, alert_purpose.undeclared_push(store, pushed.extend))
    _check_push(store, pushed, world, viewers)
    client = TestClient(create_app(store, rate_limit=0))
    for agency in AGENCIES:
        viewer = viewers[agency]
        bearer = store.create_token(SYSTEM, viewer.username, "purpose property")
        for purpose in SESSION_PURPOSES:
            client.cookies.set("palermo_token", bearer)
            if purpose:
                client.cookies.set(COOKIE, sealed(purpose, bearer))
            try:
                _check_export(client, people, world, viewer, purpose)
                _check_pages(client, world, viewer, purpose)
            finally:
                client.cookies.clear()
        for purpose in (*SESSION_PURPOSES, "court"):
            auth = {"Authorization": f"Bearer {bearer}"}
            headers = {**auth, "Palermo-Purpose": purpose} if purpose else auth
            _check_api(client, world, viewer, purpose, headers)
            _check_mrz(client, world, viewer, purpose, auth)
        # the header declares the export's purpose as it does the API's (no session)
        header = {"Authorization": f"Bearer {bearer}", "Palermo-Purpose": "investigation"}
        _check_export(client, people, world, viewer, "investigation", header)


def _check_export(
    client: TestClient,
    people: list[Record],
    world: list[Record],
    viewer: Viewer,
    purpose: str,
    headers: dict[str, str] | None = None,
) -> None:
    gone = forbidden(world, viewer, purpose)
    for person in people:
        if not person.reaches(viewer.agency):
            continue
        path = f"/entities/{id_path(person.entity_id)}/export.json"
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200, f"{path}: {answer.status_code}"
        text = answer.text.replace(person.entity_id, "")
        assert not leaked(text, gone), f"{path} for {viewer.agency}, purpose {purpose!r}"
        (name,) = [s for s in person.stmts if s.prop == "name"]
        if usable(name, viewer, purpose):
            assert name.value in answer.text, f"{path}: a usable name is missing"
        else:
            assert answer.json()[0]["withheld"]["name"] == [person.owner]


def _check_push(
    store: Store, pushed: list[Alert], world: list[Record], viewers: dict[str, Viewer]
) -> None:
    """Every alert is pushed (the push cuts values, never alerts), and none quotes a value
    its subscriber may not use with no purpose declared."""
    by_user = {v.username: v for v in viewers.values()}
    raised = {a.id for v in viewers.values() for a in alerts.alerts_for(store, v, limit=10_000)}
    assert raised and {a.id for a in pushed} == raised
    for a in pushed:
        viewer = by_user[a.username]
        gone = forbidden(world, viewer, UNDECLARED)
        assert not leaked(a.summary, gone), f"pushed to {viewer.agency}: {a.summary}"


def _check_pages(client: TestClient, world: list[Record], viewer: Viewer, purpose: str) -> None:
    gone = forbidden(world, viewer, purpose)
    for path in ("/", "/subscriptions", "/review"):
        answer = client.get(path)
        assert answer.status_code == 200, f"{path}: {answer.status_code}"
        assert not leaked(answer.text, gone), f"{path} for {viewer.agency}, purpose {purpose!r}"
    review = client.get("/review").text
    if _stolen_held(world, viewer, purpose):
        assert f"reported {STOLEN}" not in review, "a withheld report status in a review flag"


def _stolen_held(world: list[Record], viewer: Viewer, purpose: str) -> bool:
    return any(
        s.prop == "reportStatus" and s.value == STOLEN and not usable(s, viewer, purpose)
        for r in world
        if r.reaches(viewer.agency)
        for s in r.stmts
    )


def _check_api(
    client: TestClient, world: list[Record], viewer: Viewer, purpose: str, headers: dict[str, str]
) -> None:
    gone = forbidden(world, viewer, purpose)
    where = f"for {viewer.agency}, purpose {purpose!r}"
    found = client.get("/api/v1/alerts", headers=headers)
    assert found.status_code == 200, found.text
    assert not leaked(found.text, gone), f"/api/v1/alerts {where}"
    for a in found.json():
        assert not a["withheld"] or MARKER in a["summary"], a
    hits = client.get("/api/v1/deconfliction/hits", headers=headers)
    assert hits.status_code == 200 and not leaked(hits.text, gone), f"hits {where}"
    review = client.get("/api/v1/review", headers=headers)
    assert review.status_code == 200, review.text
    assert not leaked(review.text, gone), f"/api/v1/review {where}"
    body = review.json()
    assert body["purpose"] == (purpose or None)
    records = {r.entity_id: r for r in world}
    for item in body["items"]:
        held = {
            side: held_props(records[item[side]], viewer, purpose)
            for side in ("left", "right")
            if item[side] in records
        }
        cut = set().union(*held.values())
        if not cut:
            continue
        assert {item[s] for s in held if held[s]} <= set(body["withheld"]), item
        for name in item["features"]:  # no weight of a comparison of a withheld value
            assert name in FEATURE_PROPS and not FEATURE_PROPS[name] & cut, (name, cut)
        assert item["evidence"] is None or MARKER in item["evidence"], item
    if _stolen_held(world, viewer, purpose):
        assert f"reported {STOLEN}" not in review.text, f"a withheld flag {where}"


def _check_mrz(
    client: TestClient, world: list[Record], viewer: Viewer, purpose: str, auth: dict[str, str]
) -> None:
    """The MRZ check screens for the declared purpose (``screening`` when none is coded),
    as the document check does: a status it may use is answered, one it may not is not."""
    screened_for = purpose or "screening"
    gone = forbidden(world, viewer, screened_for)
    for r in world:
        if r.schema != "DocumentReport" or r.props["reportStatus"] == STOLEN:
            continue
        if not r.reaches(viewer.agency):
            continue
        body: dict[str, Any] = {"mrz": td3(r.props["documentNumber"])}
        if purpose:
            body["purpose"] = purpose
        answer = client.post("/api/v1/screening/mrz", json=body, headers=auth)
        assert answer.status_code == 200, answer.text
        text = json.dumps(answer.json()["document"])
        typed = r.props["documentNumber"]  # the zone's own number: the caller's
        assert not leaked(text, gone, asked=typed), f"mrz for {viewer.agency}, {screened_for!r}"
        (status,) = [s for s in r.stmts if s.prop == "reportStatus"]
        if usable(status, viewer, screened_for):
            assert answer.json()["document"]["status"] == status.value, (screened_for, text)
