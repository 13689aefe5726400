"""A view resolved before its links were kept (before migration 0019: identities, no
`xref_pair` rows) that loses a record keeps together what its links hold, at once: the
links of the identity are computed once, from the view's persisted model, when the split
first needs them (`ledger_backfill`, ADR 0046 amendments). SQLite and PostgreSQL.

The world is `tests.analysis.test_review_ledger.RECORDS`: one man in four records, a1.a
joined to the others only through B2's b2.c (a passport), b2.c, a1.b and b2.d sharing a
phone. When B2 stops sharing b2.c, a1.a must come apart and a1.b with b2.d stay one -
exactly what the view gives with the links its batch run stored. Before, the pre-0019 view
fell into single records (a1.b and b2.d apart) until its next batch run."""

from __future__ import annotations

import sqlalchemy as sa

from palermo.match import incremental, ledger, ledger_access, ledger_backfill
from palermo.store.store import Store
from palermo.store.tables import xref_identity, xref_pair
from tests.analysis.test_review_ledger import chain
from tests.security.test_ledger_split_property import apply_step


def groups(identity_of: dict[str, str]) -> set[frozenset[str]]:
    out: dict[str, set[str]] = {}
    for record, identity in identity_of.items():
        out.setdefault(identity, set()).add(record)
    return {frozenset(g) for g in out.values()}


def pair_rows(store: Store, scope: str) -> list[tuple[str, str, bool, str]]:
    query = sa.select(
        xref_pair.c.left_id, xref_pair.c.right_id, xref_pair.c.joins, xref_pair.c.model_version
    ).where(xref_pair.c.scope == scope)
    with store.engine.connect() as conn:
        return sorted((str(a), str(b), bool(j), str(v)) for a, b, j, v in conn.execute(query))


def test_a_view_without_stored_links_splits_as_its_links_say(store: Store) -> None:
    v = chain(store)
    a1, b2 = v["A1"], v["B2"]
    scope = ledger.scope_of(a1)
    incremental.run_batch(store, a1)
    stored = ledger.membership(store, scope)
    assert len({stored[r] for r in ("a1.a", "b2.c", "a1.b", "b2.d")}) == 1  # one man
    apply_step(store, a1, b2, ("unshare", "b2.c"))
    with_links = ledger.visible_membership(store, a1)
    assert with_links is not None
    assert with_links["a1.b"] == with_links["b2.d"] != with_links["a1.a"]

    with store.engine.begin() as conn:  # the view as migration 0019 left it
        conn.execute(xref_pair.delete().where(xref_pair.c.scope == scope))
    backfilled = ledger.visible_membership(store, a1)
    assert backfilled == with_links  # not single records: a1.b and b2.d stay one
    rows = pair_rows(store, scope)
    assert rows and all(v.endswith(ledger_backfill.SUFFIX) for *_, v in rows)
    assert ("a1.b", "b2.d", True, rows[0][3]) in rows
    assert not any("b2.c" in (a, b) for a, b, *_ in rows)  # nothing A1 cannot read scored
    # scored once: a second read writes nothing and gives the same identities
    assert ledger.visible_membership(store, a1) == with_links
    assert pair_rows(store, scope) == rows
    # the single-record lookup gives the same identity
    found = ledger_access.identity_of(store, a1, "a1.b")
    assert {m.id for m in found.records} == {"a1.b", "b2.d"} and found.hidden == 1


def test_the_lookup_backfills_as_the_view_does(store: Store) -> None:
    v = chain(store)
    a1, b2 = v["A1"], v["B2"]
    scope = ledger.scope_of(a1)
    incremental.run_batch(store, a1)
    apply_step(store, a1, b2, ("unshare", "b2.c"))
    with store.engine.begin() as conn:
        conn.execute(xref_pair.delete().where(xref_pair.c.scope == scope))
    found = ledger_access.identity_of(store, a1, "b2.d")  # first reader: the lookup
    assert {m.id for m in found.records} == {"a1.b", "b2.d"}
    alone = ledger_access.identity_of(store, a1, "a1.a")
    assert [m.id for m in alone.records] == ["a1.a"]
    view = ledger.visible_membership(store, a1)
    assert view is not None and view["a1.b"] == view["b2.d"] == found.id


def test_without_a_model_the_identity_falls_into_single_records(store: Store) -> None:
    v = chain(store)
    a1, b2 = v["A1"], v["B2"]
    scope = ledger.scope_of(a1)
    members = {r: "idn-one" for r in ("a1.a", "b2.c", "a1.b", "b2.d")}
    ledger.record(store, scope, members)  # identities only: no model, no links
    apply_step(store, a1, b2, ("unshare", "b2.c"))
    view = ledger.visible_membership(store, a1)
    assert view is not None and len(set(view.values())) == 3
    assert pair_rows(store, scope) == []
    with store.engine.connect() as conn:
        held = conn.execute(sa.select(sa.func.count()).select_from(xref_identity)).scalar()
    assert held == 4  # the identities themselves are never rewritten
