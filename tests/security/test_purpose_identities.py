"""Identities per purpose (issue 19, ADR 0051's amendment "identities per purpose"): no
identity of a purpose's view joins two records unless usable values link them, on SQLite
and PostgreSQL.

Identities are resolved over every value the viewer reads; a read declaring a purpose that
may not use a value (H0 with other stated purposes) must not see two records as one node
because that value matched. `Workspace.for_purpose` cuts such identities
(`analysis.purpose_identities`).

The property runs random worlds in the generators of `test_handling_propagation` (three
agencies, random scopes, random handling codes and H0 purposes per statement): persons with
a unique name and passport number, and "twins" (another agency's record with the same
name and passport). The oracle is the world the test wrote: two twins are linked by usable
values for (viewer, purpose) when both their names and both their passport numbers are
usable (a shared passport with compatible names is a strong link; a name or a passport
number alone does not reach the threshold). Every identity of the purpose's view must lie
within one part of that oracle; and two records with no value withheld that the full view
joined stay joined (the cut is not everything).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.analysis import review_purpose
from palermo.analysis.review import queue
from palermo.analysis.service import Workspace
from palermo.match import incremental
from palermo.model.handling_merge import Marking
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.purpose_view import UNDECLARED
from palermo.store.store import Store
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
from tests.security.test_purpose_outputs import DECLARED, usable
from tests.store.factories import setup_agencies

INDEX = st.integers(0, 9)


def _world(
    persons: list[tuple[str, str, list[Marking]]],
    twins: list[tuple[str, str, list[Marking], int]],
) -> tuple[list[Record], dict[str, int]]:
    """The records, and each person's origin (the person it is a twin of, or itself)."""
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
    origin = {p.entity_id: i for i, p in enumerate(people)}
    out = list(people)
    for o, s, m, i in twins:
        twin = Record(o, "Person", s, dict(people[i % len(people)].props), m)
        origin[twin.entity_id] = i % len(people)
        out.append(twin)
    return out, origin


def _linked(record: Record, viewer: Viewer, purpose: str) -> bool:
    """Whether the record's name and passport number are usable (its link evidence)."""
    return all(usable(s, viewer, purpose) for s in record.stmts if s.prop != BASE)


def _parts(ids: list[str], edges: list[tuple[str, str]]) -> dict[str, str]:
    parent = {i: i for i in ids}

    def root(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        parent[root(a)] = root(b)
    return {i: root(i) for i in ids}


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    persons=st.lists(st.tuples(OWNER, SCOPE, MARKS), min_size=1, max_size=3),
    twins=st.lists(st.tuples(OWNER, SCOPE, MARKS, INDEX), min_size=1, max_size=4),
)
def test_no_identity_of_a_purpose_joins_records_only_withheld_values_link(
    store: Store,
    persons: list[tuple[str, str, list[Marking]]],
    twins: list[tuple[str, str, list[Marking], int]],
) -> None:
    wipe(store)
    viewers = setup_agencies(store, GROUPS)
    world, origin = _world(persons, twins)
    for record in world:
        store.write(viewers[record.owner], record.stmts)
    by_id = {r.entity_id: r for r in world}
    for agency in AGENCIES:
        viewer = viewers[agency]
        ws = Workspace.load(store, viewer)
        for purpose in (*DECLARED, UNDECLARED):
            view = ws.for_purpose(purpose)
            kept = sorted(str(e["id"]) for e in view.entities if e.get("schema") == "Person")
            evidenced = [
                (a, b)
                for a, b in combinations(kept, 2)
                if origin[a] == origin[b]
                and _linked(by_id[a], viewer, purpose)
                and _linked(by_id[b], viewer, purpose)
            ]
            oracle = _parts(kept, evidenced)
            for a, b in combinations(kept, 2):
                if view.identity_of.get(a, a) == view.identity_of.get(b, b):
                    assert oracle[a] == oracle[b], (
                        f"{agency}/{purpose!r}: {a} and {b} are one identity, "
                        "joined only through withheld values"
                    )
                whole = all(usable(s, viewer, purpose) for r in (a, b) for s in by_id[r].stmts)
                if whole and ws.identity_of.get(a, a) == ws.identity_of.get(b, b):
                    assert view.identity_of[a] == view.identity_of[b], (
                        f"{agency}/{purpose!r}: {a} and {b} were cut with nothing withheld"
                    )


COURT_ONLY = Sharing.parse("all|H0:court")


def _two_agencies(store: Store, born: str = "1990-04-12") -> tuple[Viewer, str, str]:
    """A1's and B2's records of one person: B2 states her name for court only, her birth
    date (``born``) and nationality for anyone. A1's analyst reads."""
    wipe(store)
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    a1, b2 = viewers["A1"], viewers["B2"]
    free = Sharing.to_all()
    ours, theirs = "a1.amara", "b2.amara"
    store.write(
        a1,
        [
            Statement(ours, "Person", prop, value, "A1", "amara", free)
            for prop, value in (
                (BASE, ours),
                ("name", "Amara Chidinma Okafor"),
                ("birthDate", "1990-04-12"),
                ("nationality", "ng"),
            )
        ],
    )
    store.write(
        b2,
        [
            Statement(theirs, "Person", prop, value, "B2", "amara", sharing)
            for prop, value, sharing in (
                (BASE, theirs, free),
                ("name", "Amara Chidinma Okafor", COURT_ONLY),
                ("birthDate", born, free),
                ("nationality", "ng", free),
            )
        ],
    )
    return a1, ours, theirs


@pytest.mark.parametrize("ledger", [False, True], ids=["batch", "ledger"])
def test_a_name_stated_for_court_joins_two_records_only_for_court(
    store: Store, ledger: bool
) -> None:
    """With purpose investigation (or none) A1's analyst sees two identities; with court,
    one. From the batch resolution and from the view's ledger alike."""
    a1, ours, theirs = _two_agencies(store)
    if ledger:
        incremental.run_batch(store, a1)
    ws = Workspace.load(store, a1)
    assert ws.identity_of[ours] == ws.identity_of[theirs]  # over every value: one person
    court = ws.for_purpose("court")
    assert court.identity_of[ours] == court.identity_of[theirs]
    for purpose in ("investigation", UNDECLARED):
        view = ws.for_purpose(purpose)
        assert view.identity_of[ours] != view.identity_of[theirs], purpose
        nodes = {n for n, records in view.link_graph().records.items() if ours in records}
        assert nodes and all(theirs not in view.link_graph().records[n] for n in nodes)
    assert ws.for_purpose("investigation") is ws.for_purpose("investigation")  # cached


def test_a_confirmed_pair_stands_whatever_its_evidence(store: Store) -> None:
    """An analyst's confirmation is a decision, not a score: it joins for every purpose."""
    from palermo.match.resolution import judge

    a1, ours, theirs = _two_agencies(store)
    judge(store, a1, ours, theirs, "confirm")
    view = Workspace.load(store, a1).for_purpose("investigation")
    assert view.identity_of[ours] == view.identity_of[theirs]


def test_the_review_queue_hides_a_pair_only_withheld_values_score(store: Store) -> None:
    """B2's record has a birth date one digit off: the pair scores between the review and
    the merge thresholds only because the names agree, so it is queued. For court (which
    may use B2's name) it is shown; for investigation or none declared it is not."""
    a1, ours, theirs = _two_agencies(store, born="1990-04-13")
    ws = Workspace.load(store, a1)
    assert ws.identity_of[ours] != ws.identity_of[theirs]
    items = [i for i in queue(store, a1) if {i.left, i.right} == {ours, theirs}]
    assert len(items) == 1 and items[0].probability < 0.9
    court, _ = review_purpose.for_purpose(store, a1, items, "court")
    assert court == items
    for purpose in ("investigation", UNDECLARED):
        shown, _ = review_purpose.for_purpose(store, a1, items, purpose)
        assert shown == [], purpose


def test_the_profile_shows_the_identity_of_the_sessions_purpose(store: Store) -> None:
    """The profile's records of one identity (`same_identity`) come from the purpose's
    view: B2's record is shown beside A1's only for court."""
    from types import SimpleNamespace

    from palermo.web.profile import same_identity

    a1, ours, theirs = _two_agencies(store)
    ws = Workspace.load(store, a1)
    request: Any = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(store=store)))
    soon: Any = SimpleNamespace(workspace=lambda: ws)
    entity = store.entity(a1, ours, purpose=None)
    assert entity is not None
    for purpose, shown in (("court", {ours, theirs}), ("investigation", {ours}), ("", {ours})):
        _, records, resolved = same_identity(request, a1, entity, soon, purpose)
        assert resolved and {r.id for r in records} == shown, purpose


def test_every_comparison_of_the_resolver_names_the_properties_it_reads() -> None:
    """A comparison missing from `COMPARISON_PROPS` would never be nulled for a withheld
    value: its weight would keep joining records for a purpose that may not use it."""
    from palermo.analysis.purpose_identities import COMPARISON_PROPS
    from palermo.match import xref
    from palermo.match.xref_model import LEVELS, XrefModel

    every = XrefModel(comparisons=dict(LEVELS))
    names = {c.get_comparison("duckdb").output_column_name for c in xref.comparisons(every)}
    assert names and names <= set(COMPARISON_PROPS), names - set(COMPARISON_PROPS)
