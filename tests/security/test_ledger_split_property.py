"""Property (issue 15, ADR 0046): whatever sequence of shares, unshares and judgements
happens after a view was resolved, the viewer's identities never join two records through
a record it cannot read - at once, with no batch run or arrival in between.

The world is `tests.analysis.test_review_ledger.RECORDS`: one man in four records joined
by strong identifiers (a1.a reaches the others only through B2's b2.c) and a borderline
pair. A1's view is resolved once; then B2 shares or unshares its records (the sharing of
the record's `id` statement decides whether A1 reads it) and A1 confirms, rejects or marks
unsure pairs it can read. After every step, two records in one identity must be connected
by links the resolver joined on (not rejected since) or confirmed pairs, through records
A1 reads now only. It fails when `ledger_pairs.split_hidden` is skipped. SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.analysis import review
from palermo.match import incremental, ledger, ledger_pairs
from palermo.match.resolution import judgements
from palermo.match.xref import CONFIRM, REJECT
from palermo.store.store import Store
from tests.analysis.test_review_ledger import RECORDS, add, chain
from tests.conftest import wipe

PROPS = {eid: props for eid, _, props in RECORDS}
THEIRS = tuple(eid for eid, _, _ in RECORDS if eid.startswith("b2."))
PAIRS = tuple(combinations(sorted(PROPS), 2))

steps = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(("share", "unshare")), st.sampled_from(THEIRS)),
        st.tuples(
            st.just("judge"),
            st.sampled_from(PAIRS),
            st.sampled_from((CONFIRM, REJECT, "unsure")),
        ),
    ),
    max_size=6,
)
forgotten = st.lists(st.sampled_from(sorted(PROPS)), max_size=2, unique=True)


def connected(records: set[str], edges: set[tuple[str, str]], members: list[str]) -> bool:
    """Whether `members` are one part of the graph on `records` over `edges`."""
    reach = {members[0]}
    frontier = [members[0]]
    while frontier:
        x = frontier.pop()
        for a, b in edges:
            for here, there in ((a, b), (b, a)):
                if here == x and there in records and there not in reach:
                    reach.add(there)
                    frontier.append(there)
    return set(members) <= reach


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
@example(sequence=[("unshare", "b2.c")])
@example(sequence=[("unshare", "b2.c"), ("judge", ("a1.a", "a1.b"), CONFIRM), ("share", "b2.c")])
def test_identities_never_join_through_a_record_the_viewer_cannot_read(
    store: Store, sequence: list[Any]
) -> None:
    wipe(store)
    v = chain(store)
    a1, b2 = v["A1"], v["B2"]
    resolver = incremental.run_batch(store, a1)
    joined = {
        (lk.left, lk.right)
        for lk in resolver.resolution.links
        if ledger_pairs.joins(lk, resolver.threshold)
    }
    assert ("a1.a", "b2.c") in joined and ("a1.a", "a1.b") not in joined  # the world holds
    for step in sequence:
        apply_step(store, a1, b2, step)
        readable = {e.id for e in store.entities(a1, schema="Person", limit=100)}
        identity_of = review.identities(store, a1)
        assert set(identity_of) <= readable
        verdicts = judgements(store, a1)
        edges = {p for p in joined if verdicts.get(p) != REJECT}
        edges |= {p for p, verdict in verdicts.items() if verdict == CONFIRM}
        groups: dict[str, list[str]] = {}
        for record, identity in identity_of.items():
            groups.setdefault(identity, []).append(record)
        for identity, members in groups.items():
            assert connected(readable, edges, sorted(members)), (step, identity, members)


def apply_step(store: Store, a1: Viewer, b2: Viewer, step: Any) -> None:
    """One step of a sequence: B2 shares or unshares a record with the EU group, or A1's
    analyst judges a pair (only a pair it reads both records of, as the route requires)."""
    if step[0] == "share":
        add(store, b2, step[1], "group:EU", **PROPS[step[1]])
    elif step[0] == "unshare":
        store.retract(b2, step[1])
        add(store, b2, step[1], "owner", **PROPS[step[1]])
    else:
        (left, right), verdict = step[1], step[2]
        readable = {e.id for e in store.entities(a1, ids=[left, right], limit=2)}
        if readable == {left, right}:
            review.decide(store, a1, left, right, verdict)


def replay(
    store: Store, sequence: list[Any], forget: list[str], at: int
) -> Iterator[tuple[Viewer, Any]]:
    """The world resolved once for A1, then `sequence` with the view forgetting `forget`
    inserted at position `at`; yields A1 and each step once it has happened, so a property
    can check the view after every step."""
    wipe(store)
    v = chain(store)
    a1, b2 = v["A1"], v["B2"]
    incremental.run_batch(store, a1)
    actions: list[Any] = list(sequence)
    actions.insert(min(at, len(actions)), ("forget", forget))
    for step in actions:
        if step[0] == "forget":
            if step[1]:
                ledger.forget(store, ledger.scope_of(a1), step[1])
        else:
            apply_step(store, a1, b2, step)
        yield a1, step
