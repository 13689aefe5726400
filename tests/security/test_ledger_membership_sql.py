"""Property (issue 15, ADR 0046 amendments): `ledger.visible_membership` keeps access control
in its SQL - no statement it runs returns the id of a record the viewer may not read - and
gives what the filter-in-Python version gave: the stored identities, only readable
records, split where an identity lost a record by the view's joining links.

The world and the steps are `test_ledger_split_property`'s (one man in four records
joined through B2's b2.c, a borderline pair; shares, unshares, judgements), plus records
the view forgets. Every statement the function sends to the database is captured and run
again, and each value of each row it returns is checked against the ids of the records
A1 may not read at that moment. The version before this read every identity row with a
`readable` flag (and every joining link) and fails it. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from palermo.access.viewer import Viewer
from palermo.match import ledger, ledger_pairs
from palermo.store.store import Store
from palermo.store.tables import xref_pair
from tests.security.test_ledger_split_property import PROPS, forgotten, replay, steps


@contextmanager
def captured(store: Store) -> Iterator[list[tuple[str, Any]]]:
    """Every (statement, parameters) the store's engine sends while the block runs."""
    sent: list[tuple[str, Any]] = []

    def listen(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", listen)
    try:
        yield sent
    finally:
        event.remove(store.engine, "before_cursor_execute", listen)


def reference(store: Store, viewer: Viewer) -> dict[str, str]:
    """The identities as the version this replaces computed them: the whole stored table,
    readability from the store's own read as the viewer, every joining link of the view."""
    scope = ledger.scope_of(viewer)
    stored = ledger.membership(store, scope)
    read = store.entities(viewer, ids=sorted(stored), schema="Person", limit=len(stored) + 1)
    readable = {e.id for e in read}
    shown = {r: i for r, i in stored.items() if r in readable}
    lost = {i for r, i in stored.items() if r not in readable}
    with store.engine.connect() as conn:
        edges = ledger_pairs.joining(conn, scope)
    return ledger_pairs.split_hidden(shown, lost, edges)


def unreadable_ids(store: Store, viewer: Viewer) -> set[str]:
    """Every record id the view's tables name that the viewer may not read now."""
    scope = ledger.scope_of(viewer)
    named = set(PROPS) | set(ledger.membership(store, scope))
    with store.engine.connect() as conn:
        rows = conn.execute(xref_pair.select().where(xref_pair.c.scope == scope))
        for row in rows:
            named |= {row.left_id, row.right_id}
    read = store.entities(viewer, ids=sorted(named), limit=len(named) + 1)
    return named - {e.id for e in read}


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps, forget=forgotten, at=st.integers(min_value=0, max_value=6))
@example(sequence=[("unshare", "b2.c")], forget=[], at=0)
@example(sequence=[("unshare", "b2.c"), ("unshare", "b2.d")], forget=["a1.b"], at=1)
@example(sequence=[], forget=["b2.c"], at=0)
def test_the_membership_query_returns_only_readable_records(
    store: Store, sequence: list[Any], forget: list[str], at: int
) -> None:
    for a1, step in replay(store, sequence, forget, at):
        with captured(store) as sent:
            shown = ledger.visible_membership(store, a1)
        assert shown == reference(store, a1), step
        hidden = unreadable_ids(store, a1)
        assert sent, "visible_membership sent no SQL"
        with store.engine.connect() as conn:
            for statement, parameters in sent:
                for row in conn.exec_driver_sql(statement, parameters):
                    leaked = hidden.intersection(str(value) for value in row)
                    assert not leaked, (step, leaked, statement)
