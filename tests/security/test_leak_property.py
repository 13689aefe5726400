"""Property: no read path reveals what a viewer may not read.

For random small worlds (persons, victim records, exploitation links and cases, each with
a random owner, audience and handling), every user of every agency sweeps the read paths
an analyst has: the entity list and pages (API and web), search, export, analysis
(graph, GraphML, brokers, risk, report), screening, alerts on subscriptions made before
the data arrived, cross-referencing runs and the hit messages they send, deconfliction hits,
case lists and messages. Every identifying string in
the world is a unique token, so a leak is a token found where it must not be: the values,
ids and source ids of records the viewer's agency was not given, of victim-sensitive
records read without the victim-support role, and the case numbers of cases the viewer's
agency is not on the team of.

This extends ``tests/store/test_visibility_property.py`` (which checks the statements
themselves) to derived values: ids, links, alerts, analysis and coordination outputs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Role, Viewer
from palermo.api.app import create_app
from palermo.exchange import alerts
from palermo.ingest.build import build
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import SYSTEM, setup_agencies

AGENCIES = ("A1", "B2", "C3")
GROUPS = {"A1": ("G",), "B2": ("G",), "C3": ()}
SCOPES = ("owner", "all", "group:G", "A1", "B2", "C3")
ROLES = {"analyst": "analyst,officer", "support": "analyst,victim-support"}


@dataclass
class Record:
    """One entity of the random world and the tokens that must not leak."""

    owner: str
    schema: str
    local_id: str
    scope: str
    sensitive: bool
    props: dict[str, str | list[str]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)

    @property
    def entity_id(self) -> str:
        return f"{self.owner.lower()}.{self.local_id}"

    def sharing(self) -> Sharing:
        return Sharing.parse(self.scope, ["victim-sensitive"] if self.sensitive else [])

    def reaches(self, agency: str) -> bool:
        return agency == self.owner or self.sharing().reaches(
            self.owner, agency, GROUPS.get(agency, ())
        )

    def secret_for(self, agency: str, victim_support: bool) -> bool:
        """Nothing of this record may reach the viewer: unshared, or masked for its role."""
        return not self.reaches(agency) or (self.sensitive and not victim_support)


def token(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


record_specs = st.tuples(st.sampled_from(AGENCIES), st.sampled_from(SCOPES), st.booleans())


def make_world(
    persons: list[tuple[str, str, bool]],
    victims: list[tuple[str, str, bool, int]],
    links: list[tuple[str, str, bool, int, int]],
    twins: list[tuple[str, str, bool, int]] = (),  # type: ignore[assignment]
) -> list[Record]:
    """Persons first (and other agencies' records of the same persons, for
    cross-referencing to find), then victim records and exploitation links pointing at them."""
    out: list[Record] = []
    people: list[Record] = []
    for owner, scope, sensitive in persons:
        given_name, family, passport = token("Gv"), token("Fm"), token("PP")
        r = Record(owner, "Person", token("P"), scope, sensitive)
        r.props = {"name": f"{given_name} {family}", "passportNumber": passport}
        r.tokens = {given_name, family, passport, r.local_id}
        people.append(r)
    out += people
    for owner, scope, sensitive, index in twins:
        if not people:
            break
        original = people[index % len(people)]
        twin = Record(owner, "Person", token("T"), scope, sensitive, props=dict(original.props))
        twin.tokens = (original.tokens - {original.local_id}) | {twin.local_id}
        out.append(twin)
    for owner, scope, sensitive, target in victims:
        if not people:
            break
        person = people[target % len(people)]
        r = Record(owner, "VictimRecord", token("V"), scope, sensitive)
        r.props = {"victim": person.entity_id, "nonPunishment": "true", "summary": token("Vs")}
        r.tokens = {r.local_id, str(r.props["summary"])}
        out.append(r)
    for owner, scope, sensitive, left, right in links:
        if len(people) < 2:
            break
        a, b = people[left % len(people)], people[right % len(people)]
        if a is b:
            continue
        r = Record(owner, "Associate", token("S"), scope, sensitive)
        r.props = {"person": a.entity_id, "associate": b.entity_id, "relationship": token("Rel")}
        r.tokens = {r.local_id, str(r.props["relationship"])}
        out.append(r)
    return out


def users(store: Store) -> dict[tuple[str, str], tuple[Viewer, dict[str, str]]]:
    """An analyst and a victim-support user per agency, with their bearer headers."""
    setup_agencies(store, GROUPS)
    out = {}
    for agency in AGENCIES:
        for kind, roles in ROLES.items():
            name = f"u-{kind}-{agency.lower()}"
            user = store.add_user(SYSTEM, name, agency, roles)
            bearer = store.create_token(SYSTEM, name, "property test")
            out[(agency, kind)] = (user.viewer(), {"Authorization": f"Bearer {bearer}"})
    return out


def subscribe_to_everything(
    client: TestClient, headers: dict[str, str], world: list[Record]
) -> None:
    """Subscriptions made before the data arrives: alerts are the oracle to close."""
    for r in world:
        if r.schema == "Person":
            name = str(r.props["name"])
            client.post(
                "/api/v1/subscriptions",
                headers=headers,
                json={"kind": "entity", "value": r.entity_id},
            )
            client.post(
                "/api/v1/subscriptions",
                headers=headers,
                json={"kind": "name", "value": name.split()[1]},
            )
            client.post(
                "/api/v1/subscriptions",
                headers=headers,
                json={"kind": "document", "value": str(r.props["passportNumber"])},
            )


def write_world(store: Store, world: list[Record], viewers: dict[str, Viewer]) -> None:
    for r in world:
        store.write(viewers[r.owner], build(r.owner, r.entity_id, r.schema, r.props, r.sharing()))


def open_cases(
    client: TestClient, heads: dict[str, dict[str, str]], world: list[Record]
) -> dict[str, set[str]]:
    """Each agency opens an owner-only case on every person it can see and publishes it
    for deconfliction; returns case number -> agencies allowed to know it."""
    known: dict[str, set[str]] = {}
    for agency in AGENCIES:
        # An analyst names only persons it reads unmasked: a person all masked for it is
        # known to it by an opaque alias, and its real id is a 404 (finding 3).
        subjects = [
            r.entity_id
            for r in world
            if r.schema == "Person" and not r.secret_for(agency, victim_support=False)
        ]
        number = token("CN")
        made = client.post(
            "/api/v1/cases",
            headers=heads[agency],
            json={
                "case_number": number,
                "title": token("Ct"),
                "exploitation_form": "forced-labour",
                "subjects": subjects,
            },
        )
        assert made.status_code == 200, made.text
        known[number] = {agency}
        client.post(f"/api/v1/cases/{made.json()['id']}/deconfliction", headers=heads[agency])
    return known


READ_PATHS = (
    "/api/v1/entities?limit=1000",
    "/api/v1/cases",
    "/api/v1/victims",
    "/api/v1/referrals",
    "/api/v1/messages",
    "/api/v1/alerts",
    "/api/v1/deconfliction/hits",
    "/api/v1/analysis/graph",
    "/api/v1/analysis/graph.graphml",
    "/api/v1/analysis/brokers",
    "/api/v1/analysis/communities",
    "/api/v1/analysis/risk",
    "/api/v1/analysis/report",
)


def sweep(client: TestClient, headers: dict[str, str], world: list[Record]) -> str:
    """Everything the read paths answer this user, as one text.

    An answer that echoes what was asked (the id of a missing entity, the screened name in a
    score's explanation) is not a leak, so the asked text is cut out of that answer."""
    texts = [unquoted(path, client.get(path, headers=headers).text, world) for path in READ_PATHS]
    cookie = {"palermo_token": headers["Authorization"].removeprefix("Bearer ")}
    for r in world:
        eid = r.entity_id
        texts.append(client.get(f"/api/v1/entities/{eid}", headers=headers).text.replace(eid, ""))
        client.cookies.update(cookie)
        texts.append(client.get(f"/entities/{eid}").text.replace(eid, ""))
        client.cookies.clear()
        if r.schema == "Person":
            name = str(r.props["name"])
            family = name.split()[1]
            texts.append(client.get(f"/api/v1/search?q={family}", headers=headers).text)
            screened = client.post(
                "/api/v1/screening/person", headers=headers, json={"name": name}
            ).text
            texts.append(screened.replace(name, ""))  # explanations quote the query
    return "\n".join(texts)


def unquoted(path: str, text: str, world: list[Record]) -> str:
    """An alert quotes the subscription it answers, which its user wrote (`subscribe_to_everything`
    subscribes to every family name): a name alert matches as screening does (ADR 0056), so
    a readable name alike quotes a family name the user may not read. Cut out, as screening
    answers have their query cut out; the alerted value itself stays."""
    if path != "/api/v1/alerts":
        return text
    for r in world:
        if r.schema == "Person":
            text = text.replace(f"name '{str(r.props['name']).split()[1]}'", "")
    return text


def readable_text(world: list[Record], agency: str, victim_support: bool) -> str:
    """What the viewer was given on purpose: a record it may read can name another it may
    not (a victim record shared with it names a person its owner kept to itself)."""
    parts = []
    for r in world:
        if not r.secret_for(agency, victim_support):
            parts.append(r.entity_id)
            parts += [str(v) for v in r.props.values()]
    return "\n".join(parts)


def exported(store: Store, viewer: Viewer) -> str:
    parts = []
    for entity in store.export(viewer):
        parts.append(entity.id)
        for prop, values in entity.properties.items():
            parts += [f"{prop}={v.value} {v.source_record_id or ''}" for v in values]
    return "\n".join(parts)


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    # Each example sweeps ~100 requests for six users; shrinking would take minutes, and
    # the failing world is printed whole anyway.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(
    persons=st.lists(record_specs, min_size=2, max_size=5),
    victims=st.lists(
        st.tuples(
            st.sampled_from(AGENCIES), st.sampled_from(SCOPES), st.booleans(), st.integers(0, 10)
        ),
        max_size=3,
    ),
    links=st.lists(
        st.tuples(
            st.sampled_from(AGENCIES),
            st.sampled_from(SCOPES),
            st.booleans(),
            st.integers(0, 10),
            st.integers(0, 10),
        ),
        max_size=3,
    ),
    twins=st.lists(
        st.tuples(
            st.sampled_from(AGENCIES), st.sampled_from(SCOPES), st.booleans(), st.integers(0, 10)
        ),
        max_size=3,
    ),
)
def test_no_read_path_reveals_what_the_viewer_may_not_read(
    store: Store,
    persons: list[tuple[str, str, bool]],
    victims: list[tuple[str, str, bool, int]],
    links: list[tuple[str, str, bool, int, int]],
    twins: list[tuple[str, str, bool, int]],
) -> None:
    wipe(store)
    world = make_world(persons, victims, links, twins)
    accounts = users(store)
    client = TestClient(create_app(store, rate_limit=0))
    for _, headers in accounts.values():
        subscribe_to_everything(client, headers, world)
    analysts = {a: accounts[(a, "analyst")][0] for a in AGENCIES}
    write_world(store, world, analysts)
    alerts.scan(store)
    xref: dict[tuple[str, str], str] = {}
    for key, (_, headers) in accounts.items():  # hits also go to other agencies' inboxes
        answer = client.post("/api/v1/xref/run", headers=headers)
        assert answer.status_code == 200, answer.text
        xref[key] = answer.text
    cases = open_cases(client, {a: accounts[(a, "analyst")][1] for a in AGENCIES}, world)
    for (agency, kind), (viewer, headers) in accounts.items():
        support = Role.VICTIM_SUPPORT in viewer.roles
        seen = sweep(client, headers, world) + exported(store, viewer) + xref[(agency, kind)]
        given = readable_text(world, agency, support)
        for r in world:
            if r.secret_for(agency, support):
                leaked = sorted(t for t in r.tokens if t in seen and t not in given)
                assert not leaked, (
                    f"{kind} of {agency} sees {leaked} of {r.schema} {r.entity_id} "
                    f"({r.owner}, {r.scope}, sensitive={r.sensitive})"
                )
        for number, allowed in cases.items():
            assert agency in allowed or number not in seen, (
                f"{kind} of {agency} sees case number {number} of {sorted(allowed)}"
            )
