"""The bulk write path (store.bulk, ADR 0019) against the reference path (store.writer).

Random statements (several agencies and sharings, repeats, retractions, re-assertions in the
same second) are written once through the reference writer and once through ``Store.write``
(the bulk path), on both backends, with tiny batches so batch boundaries, the PostgreSQL
COPY path and the in-batch rules are all exercised: the same statement rows in the same
order, the same search terms, the same entities for every viewer (owner-only values never
reach another agency), one audit row per write that ``audit verify`` accepts, and a re-run
that adds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import AccessDenied, Viewer
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store import audit, bulk, search_index, writer
from palermo.store.search_index import search_term
from palermo.store.store import Store
from palermo.store.tables import audit_log, statement
from palermo.store.visibility import ALIAS_PREFIX, MASK
from tests.conftest import wipe
from tests.store.factories import aliases_of, setup_agencies

AGENCIES = {"A1": ("EU",), "B2": ("EU",), "C3": ()}
T1 = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 29, 12, 0, 1, tzinfo=UTC)

sharings = st.sampled_from(
    [
        Sharing.parse("owner"),
        Sharing.parse("group:EU"),
        Sharing.parse("C3"),
        Sharing.to_all(),
        Sharing.parse("all", ["victim-sensitive"]),
        Sharing.parse("B2", ["no-onward"]),
    ]
)


@st.composite
def statements(draw: st.DrawFn) -> Statement:
    owner = draw(st.sampled_from(sorted(AGENCIES)))
    n = draw(st.integers(0, 3))
    eid = f"{owner.lower()}.p{n}"
    prop = draw(st.sampled_from([BASE, "name", "phone", "email", "nationality", "notes"]))
    value = {
        BASE: eid,
        "name": draw(st.sampled_from(["Ivan Petrov", "Анна Берг", "Somchai Wong"])),
        "phone": draw(st.sampled_from(["+49 151 1234 5678", "+66 81 234 5678"])),
        "email": draw(st.sampled_from(["a@example.org", "B@Example.org"])),
        "nationality": draw(st.sampled_from(["de", "th"])),
        "notes": draw(st.sampled_from(["seen at the border", "x"])),
    }[prop]
    stmt = Statement(
        eid,
        "Person",
        prop,
        value,
        owner,
        f"p{n}",
        draw(sharings),
        first_seen=draw(st.sampled_from([T1, T2])),
    )
    retract = draw(st.integers(0, 3)) == 0
    return stmt.retraction(draw(st.sampled_from([T1, T2]))) if retract else stmt


writes = st.lists(st.lists(statements(), min_size=1, max_size=12), min_size=1, max_size=4)


def reference_write(store: Store, viewer: Viewer, stmts: list[Statement]) -> int:
    """``Store.write`` as it was before the bulk path: the reference writer, the search
    index re-read from the rows written, one audit row."""
    digest = hashlib.sha256()
    for s in stmts:
        assert s.agency == viewer.agency
        digest.update(s.id.encode())
    with store.transaction() as conn:
        mark = search_index.high_water(conn)
        count = writer.append_statements(conn, stmts, store._known_policies)
        search_index.index_written(conn, mark, audit.pending_write(conn).id)
        detail = {"statements": count, "digest": digest.hexdigest()}
        audit.append(conn, viewer.agency, viewer.username, "write", "", detail)
    return count


def by_owner(stmts: list[Statement]) -> Iterator[tuple[str, list[Statement]]]:
    for owner in sorted(AGENCIES):
        own = [s for s in stmts if s.agency == owner]
        if own:
            yield owner, own


def stored(store: Store) -> list[tuple[object, ...]]:
    """The statement rows in seq order, as a write made them; an id the writer re-timed
    (a re-assertion in the second of a retracted one) is compared by its content only."""
    inputs = {T1, T2}
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(statement).order_by(statement.c.seq)).all()
    return [
        (
            r.id if r.first_seen.replace(tzinfo=UTC) in inputs else "re-timed",
            r.key,
            r.entity_id,
            r.prop,
            r.value,
            r.agency,
            r.source_record_id,
            r.policy_id,
            r.retracted,
            r.received_from,
        )
        for r in rows
    ]


def terms(store: Store) -> set[tuple[str, str, str]]:
    """Search terms by the value they index (seqs and re-timed ids differ between runs)."""
    query = sa.select(search_term.c.term, search_term.c.kind, statement.c.key)
    query = query.join(statement, statement.c.seq == search_term.c.seq)
    with store.engine.connect() as conn:
        return {(r.term, r.kind, r.key) for r in conn.execute(query)}


def seen_by(store: Store, viewer: Viewer) -> set[tuple[str, str, str]]:
    """What the viewer reads, masked entities named by their real id (aliases are random)."""
    real = {alias: eid for eid, alias in aliases_of(store).items()}
    return {
        (real.get(e.id, e.id), prop, ALIAS_PREFIX if v.value.startswith(ALIAS_PREFIX) else v.value)
        for e in store.entities(viewer, limit=1000)
        for prop, values in e.properties.items()
        for v in values
    }


def snapshot(store: Store, viewers: dict[str, Viewer]) -> tuple[object, ...]:
    seen = {code: seen_by(store, v) for code, v in viewers.items()}
    return stored(store), terms(store), seen


@pytest.fixture
def tiny_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 4 and COPY from 2 rows: boundaries and both insert paths in small data."""
    monkeypatch.setattr(bulk, "BATCH", 4)
    monkeypatch.setattr(bulk, "COPY_FROM", 2)
    monkeypatch.setattr(search_index, "COPY_FROM", 2)
    monkeypatch.setattr(writer, "BATCH", 4)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=writes)
def test_bulk_path_stores_what_the_reference_path_stores(
    store: Store, tiny_batches: None, batches: list[list[Statement]]
) -> None:
    results = []
    for path in ("reference", "bulk"):
        wipe(store)
        viewers = setup_agencies(store, AGENCIES)
        counts = []
        for batch in batches:
            for owner, own in by_owner(batch):
                if path == "bulk":
                    counts.append(store.write(viewers[owner], own))
                else:
                    counts.append(reference_write(store, viewers[owner], own))
        results.append((counts, snapshot(store, viewers)))
        report = store.audit_verify()
        assert report.ok, report.reason
    assert results[0] == results[1]
    # Every value a viewer reads was shared with its agency by its owner (or is its own).
    written = [s for b in batches for s in b if not s.retracted]
    for code, groups in AGENCIES.items():
        for eid, prop, value in seen_by(store, setup_viewer(store, code)):
            if value in (MASK, ALIAS_PREFIX):
                continue
            sources = [s for s in written if (s.entity_id, s.prop, s.value) == (eid, prop, value)]
            assert any(s.sharing.reaches(s.agency, code, groups) for s in sources)
    # Re-running the bulk import adds nothing (unless a value was retracted: saying it again
    # then stores it again, see test_reassert).
    viewers = {code: setup_viewer(store, code) for code in AGENCIES}
    before = snapshot(store, viewers)
    counts = [
        store.write(viewers[owner], own) for batch in batches for owner, own in by_owner(batch)
    ]
    if not any(s.retracted for b in batches for s in b):
        assert counts == [0] * len(counts)
        assert snapshot(store, viewers) == before


def setup_viewer(store: Store, code: str) -> Viewer:
    return store.viewer(f"analyst-{code}".lower())


@given(stmt=statements())
def test_content_hashes_are_the_models(stmt: Statement) -> None:
    assert bulk.content_hashes(stmt, stmt.sharing.canonical) == (stmt.key, stmt.id)


def test_one_audit_row_per_import_with_its_write_ids(store: Store, tiny_batches: None) -> None:
    viewers = setup_agencies(store, AGENCIES)
    stmts = [
        Statement(f"a1.p{n}", "Person", "name", f"Name {n}", "A1", f"p{n}", Sharing.to_all())
        for n in range(10)
    ]
    assert store.write(viewers["A1"], stmts, "import", "f.json") == 10
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).where(audit_log.c.action == "import")).all()
        write_ids = set(conn.execute(sa.select(statement.c.write_id)).scalars())
        ids = sorted(conn.execute(sa.select(statement.c.id)).scalars())
    assert len(rows) == 1
    assert len(write_ids) == 1
    assert audit.ids_digest(ids) in rows[0].detail
    assert store.audit_verify().ok
    assert store.write(viewers["A1"], stmts, "import", "f.json") == 0
    assert store.count_statements() == 10


def test_bulk_path_refuses_another_agencys_statements(store: Store, tiny_batches: None) -> None:
    """Batches already inserted (and COPY-ed) roll back with the write."""
    viewers = setup_agencies(store, AGENCIES)
    own = [
        Statement(f"a1.p{n}", "Person", "name", f"Ivan {n}", "A1", f"p{n}", Sharing.to_all())
        for n in range(10)
    ]
    theirs = Statement("b2.p1", "Person", "name", "Olga", "B2", "p1", Sharing.to_all())
    with pytest.raises(AccessDenied):
        store.write(viewers["A1"], [*own, theirs])
    assert store.count_statements() == 0
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(search_term)).scalar() == 0
    assert store.audit_verify().ok
    assert store.write(viewers["A1"], own) == 10  # the cache of stored policies was reset


def test_rows_read_back_like_the_reference_paths(store: Store) -> None:
    """Dates, flags and text come back the same whichever path wrote them (SQLite keeps
    datetimes as text in SQLAlchemy's format)."""
    viewers = setup_agencies(store, AGENCIES)
    said = Statement("a1.p1", "Person", "name", "Ivan", "A1", "p1", first_seen=T1, last_seen=T2)
    store.write(viewers["A1"], [said, said.retraction(T2)])
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(statement).order_by(statement.c.seq)).all()
    assert [(r.retracted, r.first_seen.replace(tzinfo=UTC)) for r in rows] == [
        (False, T1),
        (True, T2),
    ]
    assert rows[0].last_seen.replace(tzinfo=UTC) == T2
    assert rows[0].id == said.id


def test_a_duplicate_past_the_dedupe_fails_the_write_whole(
    store: Store, tiny_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's INSERT ... SELECT has no ON CONFLICT: the statement-order lock and the
    dedupe leave no duplicate to skip (ADR 0027, amendments). Should one ever get past
    them (here: the dedupe is told nothing is stored), the write fails with the unique
    key and rolls back whole: nothing is skipped silently."""
    viewers = setup_agencies(store, AGENCIES)
    stmts = [
        Statement(f"a1.p{n}", "Person", "name", f"Name {n}", "A1", f"p{n}", Sharing.to_all())
        for n in range(6)
    ]
    assert store.write(viewers["A1"], stmts) == 6
    monkeypatch.setattr(bulk, "_stored", lambda conn, keys: (set(), set()))
    fresh = Statement("a1.p9", "Person", "name", "Name 9", "A1", "p9", Sharing.to_all())
    if store.engine.dialect.name == "postgresql":
        with pytest.raises(psycopg.errors.UniqueViolation, match="statement_id_key"):
            store.write(viewers["A1"], [fresh, *stmts])
        assert store.count_statements() == 6
    else:  # SQLite keeps ON CONFLICT DO NOTHING in its executemany
        assert store.write(viewers["A1"], [fresh, *stmts]) == 1
    assert store.audit_verify().ok
