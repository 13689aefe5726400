"""Property: nothing derived from values carries looser handling than any of its inputs.

Random small worlds (persons, other agencies' records of the same persons, victim records
with indicators, associate links), every statement with its own random Europol handling
codes (H0-H3, no-onward, victim-sensitive) and random grade or none, on SQLite and
PostgreSQL. Every agency's analyst then builds what analysis and exchange derive: resolved
identities, link-graph nodes and edges (and their chart JSON), risk scores, the report,
export lines (CLI and web), alerts, and the batches the outbox sends. Each artefact's
marking must hold every handling code of every input it was built from, and its grade must
be no stronger than the weakest input's (ungraded if any input is ungraded). H0 values carry
random stated purposes and H3 values random restriction texts: an artefact may allow no
purpose an input does not allow, and must repeat every input's restriction text (ADR 0034).
An export for a random declared purpose leaves out exactly the lines with another agency's
value stated for other purposes (or, for court, an H1 value without consent).

The expected marking of a record is computed here from the statements the test wrote,
independently of ``store.entity_marking``: the oracle is the world, not the code under test.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from functools import cached_property

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.analysis import indicators
from palermo.analysis.report import build_report
from palermo.analysis.service import Workspace
from palermo.exchange import alerts, outbox
from palermo.exchange.wire import statement_from_wire
from palermo.model.grading import Grade
from palermo.model.handling_merge import Marking, merge
from palermo.model.record_marking import carried_marking, identity_markings, record_markings
from palermo.model.sharing import Handling, Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.entity_marking import value_marking
from palermo.store.marked_export import ExportLine, Refused, marked_lines
from palermo.store.store import Store
from palermo.web.profile import export_entities
from tests.conftest import wipe
from tests.store.factories import setup_agencies

AGENCIES = ("A1", "B2", "C3")
GROUPS = {"A1": ("G",), "B2": ("G",), "C3": ()}
SCOPES = ("all", "group:G", "owner", "B2")
CODES = (Handling.H0, Handling.H1, Handling.H2, Handling.H3, Handling.NO_ONWARD)
INDICATORS = ("ilo-deception", "ilo-isolation", "ilo-abuse-of-vulnerability")

grades = st.one_of(
    st.none(), st.builds(Grade, st.sampled_from("ABCX"), st.integers(min_value=1, max_value=4))
)
PURPOSES = ("investigation", "analysis", "court")
RESTRICTIONS = ("ask first", "no contact, ever", "50% | not for the press")


def _marking(
    codes: set[Handling], grade: Grade | None, purposes: set[str] | None, texts: set[str]
) -> Marking:
    """A value's marking: H0 with stated purposes or bare, H3 with texts or bare."""
    stated = frozenset(purposes) if purposes and Handling.H0 in codes else None
    restrictions = frozenset(texts) if Handling.H3 in codes else frozenset()
    return Marking(frozenset(codes), grade, stated, restrictions)


markings = st.builds(
    _marking,
    st.sets(st.sampled_from(CODES), max_size=3),
    grades,
    st.one_of(st.none(), st.sets(st.sampled_from(PURPOSES), min_size=1, max_size=2)),
    st.sets(st.sampled_from(RESTRICTIONS), max_size=2),
)


def token(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@dataclass
class Record:
    owner: str
    schema: str
    scope: str
    props: dict[str, str]
    marks: list[Marking]  # one per statement (BASE first, then props in order)
    local_id: str = field(default_factory=lambda: token("r"))

    @property
    def entity_id(self) -> str:
        return f"{self.owner.lower()}.{self.local_id}"

    @cached_property
    def stmts(self) -> list[Statement]:
        """Made once: a statement's id includes its first-seen time."""
        pairs = [(BASE, self.entity_id), *self.props.items()]
        out = []
        for i, (prop, value) in enumerate(pairs):
            mark = self.marks[i % len(self.marks)]
            sharing = Sharing.parse(self.scope, [h.value for h in mark.handling], mark.grade)
            sharing = replace(
                sharing, purposes=mark.purposes or frozenset(), restrictions=mark.restrictions
            )
            out.append(
                Statement(
                    self.entity_id, self.schema, prop, value, self.owner, self.local_id, sharing
                )
            )
        return out

    def marking(self) -> Marking:
        """The oracle: merge of the markings the test gave this record's statements."""
        return merge(s.sharing for s in self.stmts)

    def reaches(self, agency: str) -> bool:
        sharing = Sharing.parse(self.scope)
        return sharing.reaches(self.owner, agency, GROUPS.get(agency, ()))


OWNER, SCOPE, MARKS = (
    st.sampled_from(AGENCIES),
    st.sampled_from(SCOPES),
    st.lists(markings, min_size=1, max_size=3),
)
INDEX = st.integers(0, 9)


def make_world(
    persons: list[tuple[str, str, list[Marking]]],
    twins: list[tuple[str, str, list[Marking], int]],
    victims: list[tuple[str, str, list[Marking], int]],
    links: list[tuple[str, str, list[Marking], int, int]],
) -> list[Record]:
    people = [
        Record(
            o,
            "Person",
            s,
            {"name": f"{token('Gv')} {token('Fm')}", "passportNumber": token("P")},
            m,
        )
        for o, s, m in persons
    ]
    out = list(people)
    for o, s, m, i in twins:
        out.append(Record(o, "Person", s, dict(people[i % len(people)].props), m))
    for o, s, m, i in victims:
        props = {"victim": people[i % len(people)].entity_id, "indicators": INDICATORS[i % 3]}
        out.append(Record(o, "VictimRecord", s, props, m))
    for o, s, m, a, b in links:
        left, right = people[a % len(people)], people[b % len(people)]
        if left is not right:
            props = {"person": left.entity_id, "associate": right.entity_id}
            out.append(Record(o, "Associate", s, props, m))
    return out


def check(artefact: Marking, inputs: list[Marking], what: str) -> None:
    for given_ in inputs:
        assert artefact.no_looser_than(given_), f"{what}: {artefact.text} looser than {given_.text}"
        # the same, spelt out for H0 and H3 without `no_looser_than` (the code under test)
        assert given_.restrictions <= artefact.restrictions, f"{what}: lost an H3 text"
        if given_.purposes is not None:
            assert artefact.purposes is not None, f"{what}: lost H0's stated purposes"
            assert artefact.purposes <= given_.purposes, f"{what}: allows a purpose H0 does not"


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    persons=st.lists(st.tuples(OWNER, SCOPE, MARKS), min_size=2, max_size=4),
    twins=st.lists(st.tuples(OWNER, SCOPE, MARKS, INDEX), max_size=2),
    victims=st.lists(st.tuples(OWNER, SCOPE, MARKS, INDEX), max_size=3),
    links=st.lists(st.tuples(OWNER, SCOPE, MARKS, INDEX, INDEX), max_size=3),
)
def test_no_derived_artefact_is_handled_more_loosely_than_its_inputs(
    store: Store,
    persons: list[tuple[str, str, list[Marking]]],
    twins: list[tuple[str, str, list[Marking], int]],
    victims: list[tuple[str, str, list[Marking], int]],
    links: list[tuple[str, str, list[Marking], int, int]],
) -> None:
    wipe(store)
    viewers = setup_agencies(store, GROUPS)
    world = make_world(persons, twins, victims, links)
    for record in world:
        alerts.subscribe(store, viewers[AGENCIES[0]], "entity", record.entity_id)
    for record in world:
        store.write(viewers[record.owner], record.stmts)
    by_id = {r.entity_id: r for r in world}
    stmt_marks = {s.id: Marking.of(s.sharing) for r in world for s in r.stmts}
    for agency, viewer in viewers.items():
        expected = {r.entity_id: r.marking() for r in world if r.reaches(agency)}
        _check_analysis(store, viewer, expected, by_id)
        _check_exports(store, viewer, expected, by_id, stmt_marks)
    _check_alerts(store, stmt_marks)
    _check_outbox(store, world)


def _check_analysis(
    store: Store, viewer: Viewer, expected: dict[str, Marking], by_id: dict[str, Record]
) -> None:
    ws = Workspace.load(store, viewer)
    seen = {str(e["id"]) for e in ws.entities}
    assert seen == set(expected), "the workspace holds exactly the records the agency may see"
    records = record_markings(ws.entities, carried_marking)
    for rid, marking in records.items():
        assert marking == expected[rid], f"record {rid}: {marking.text} != {expected[rid].text}"
    members: dict[str, list[str]] = {}
    for rid in records:
        members.setdefault(ws.identity_of.get(rid, rid), []).append(rid)
    for identity, marking in identity_markings(records, ws.identity_of).items():
        check(marking, [expected[r] for r in members[identity]], f"identity {identity}")
    lg = ws.link_graph()
    nodes = {n: Marking.parse(t) for n, t in lg.handling.items()}
    for node, rids in lg.records.items():
        if node in nodes:
            check(nodes[node], [expected[r] for r in rids], f"node {node}")
    empty = Marking()
    for edge in lg.edges:
        ends = [nodes.get(edge.source, empty), nodes.get(edge.target, empty)]
        check(Marking.parse(edge.handling), ends, f"edge {edge.source}-{edge.target}")
    for rid, marking in expected.items():  # the record that made an edge marks it
        record = by_id[rid]
        if record.schema != "Associate":
            continue
        ends = [record.props["person"], record.props["associate"]]
        if not all(e in expected for e in ends):
            continue
        a, b = (ws.identity_of.get(e, e) for e in ends)
        if a != b:
            assert any(
                {e.source, e.target} == {a, b}
                and e.kind == "associate"
                and Marking.parse(e.handling).no_looser_than(marking)
                for e in lg.edges
            ), f"associate {rid}: no edge keeps its marking {marking.text}"
    data = ws.graph_json()
    for link in data["links"]:
        ends = [nodes.get(link["source"], empty), nodes.get(link["target"], empty)]
        check(Marking.parse(link["handling"]), ends, "chart link")
    for score in indicators.score(ws.entities, ws.identity_of):
        inputs = [expected[r] for r in members.get(score.identity, [])]
        inputs += [expected[r] for f in score.fired for r in f.records if r in expected]
        check(Marking.parse(score.handling), inputs, f"score {score.identity}")
        for f in score.fired:
            cited = [expected[r] for r in f.records if r in expected]
            if cited and all(m.grade is not None for m in cited):
                assert f.grade, "graded evidence names the grade that weighted it"
    report = build_report(ws.entities, "t", "s")
    check(Marking.parse(report.handling), list(expected.values()), "report")


def _check_exports(
    store: Store,
    viewer: Viewer,
    expected: dict[str, Marking],
    by_id: dict[str, Record],
    stmt_marks: dict[str, Marking],
) -> None:
    lines = list(marked_lines(store, viewer))
    assert {ln.entity.id for ln in lines if isinstance(ln, ExportLine)} == set(expected)
    for line in lines:
        assert isinstance(line, ExportLine)
        check(line.marking, [expected[line.entity.id]], f"export line {line.entity.id}")
        assert set(line.restrictions) >= set(expected[line.entity.id].restrictions)
        for values in line.entity.properties.values():
            for v in values:
                if v.statement_id in stmt_marks:  # masked values show no id
                    assert value_marking(v) == stmt_marks[v.statement_id]
        web = export_entities(store, viewer, line.entity)
        check(Marking.parse(web[0]["handling"]), [expected[line.entity.id]], "web export")
    assert by_id  # the world is not empty
    for purpose in PURPOSES:
        _check_purpose(store, viewer, purpose, expected, by_id)


def _check_purpose(
    store: Store,
    viewer: Viewer,
    purpose: str,
    expected: dict[str, Marking],
    by_id: dict[str, Record],
) -> None:
    """An export for ``purpose`` refuses exactly the lines holding another agency's value
    whose H0 purposes exclude it (or, for court, an H1 value: no consent is recorded)."""

    def forbidden(rid: str) -> bool:
        record = by_id[rid]
        if record.owner == viewer.agency:
            return False
        stated = [s.sharing for s in record.stmts]
        return any(
            (s.purposes and purpose not in s.purposes)
            or (purpose == "court" and Handling.H1 in s.handling)
            for s in stated
        )

    lines = list(marked_lines(store, viewer, purpose=purpose))
    refused = {ln.entity_id for ln in lines if isinstance(ln, Refused)}
    written = {ln.entity.id for ln in lines if isinstance(ln, ExportLine)}
    assert refused | written == set(expected) and not refused & written
    assert refused == {rid for rid in expected if forbidden(rid)}, f"purpose {purpose}"


def _check_alerts(store: Store, stmt_marks: dict[str, Marking]) -> None:
    for alert in alerts.scan(store):
        check(Marking.parse(alert.handling), [stmt_marks[alert.statement_id]], "alert")


def _check_outbox(store: Store, world: list[Record]) -> None:
    """Sent statements keep their exact marking; received ones are never sent on."""
    original = {s.id: s.sharing for r in world for s in r.stmts}
    relayed = [
        Statement(f"c3.{token('x')}", "Person", BASE, "x", "C3", "x", Sharing.parse("all|H2|B1"))
    ]
    with store.transaction() as conn:
        store.receive(conn, relayed, "c3-node")
    with store.engine.connect() as conn:
        for own in AGENCIES:
            for peer in AGENCIES:
                if peer == own:
                    continue
                for wire in outbox.pending(conn, own, peer, 0, limit=10_000):
                    stmt = statement_from_wire(wire)
                    assert stmt.id in original, "only own, local statements are sent"
                    assert stmt.sharing.handling == original[stmt.id].handling
                    assert stmt.sharing.grade == original[stmt.id].grade
