"""Audit rows record what each write stored; `audit verify` checks the table against them.

A statement deleted, added or replaced (with a recomputed content id) directly in SQL hashes
fine on its own; it is caught against the write's record (id, count, digest of ids) in the
audit row, on both backends. Old audit rows without the record verify as before, and the
statements stored before write ids existed are covered by migration 0007's baseline row.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from typer.testing import CliRunner

from palermo.model.sharing import Sharing
from palermo.store import audit, migrate
from palermo.store.audit import ids_digest
from palermo.store.rows import statement_from_row
from palermo.store.store import Store
from palermo.store.tables import audit_log, metadata, policy, statement
from palermo.store.writer import statement_row
from tests.store.factories import person, setup_agencies


def stored(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    store.write(viewers["A1"], person("A1", "p1", Sharing.parse("group:EU"), name="Ivan Petrov"))
    store.write(viewers["B2"], person("B2", "p9", Sharing.parse("owner"), name="Anna Berg"))


def row_of(store: Store, value: str) -> dict[str, Any]:
    with store.engine.connect() as conn:
        found = conn.execute(
            sa.select(statement, policy.c.canonical)
            .join(policy, policy.c.id == statement.c.policy_id)
            .where(statement.c.value == value)
        ).one()
    return dict(found._mapping)


def forged_row(original: dict[str, Any], value: str) -> dict[str, Any]:
    """A row for another value that hashes correctly: only the write record can tell."""
    stmt = replace(statement_from_row(original), value=value)
    row = statement_row(stmt, datetime.now(UTC), None, original["write_id"])
    return row


def test_a_write_records_its_statements(store: Store) -> None:
    stored(store)
    writes = [json.loads(e.detail)["write"] for e in store.audit_entries() if e.action == "write"]
    assert [w["statements"] for w in writes] == [2, 2]
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(statement.c.id, statement.c.write_id)).all()
    for write in writes:
        ids = [r.id for r in rows if r.write_id == write["id"]]
        assert len(ids) == 2 and write["digest"] == ids_digest(ids)
    report = store.audit_verify()
    assert report.ok and report.statements_checked == 4


def test_a_replay_and_a_retraction_verify_clean(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    stmts = person("A1", "p1", Sharing.parse("owner"), name="Ivan Petrov")
    assert store.write(viewers["A1"], stmts) == 2
    assert store.write(viewers["A1"], stmts) == 0
    assert store.retract(viewers["A1"], "a1.p1", "name") == 1
    last = json.loads(store.audit_entries()[-1].detail)["write"]
    assert last["statements"] == 1
    assert store.audit_verify().ok


def test_a_deleted_statement_names_its_write(store: Store) -> None:
    stored(store)
    with store.engine.begin() as conn:
        conn.execute(sa.delete(statement).where(statement.c.value == "Anna Berg"))
    report = store.audit_verify()
    assert not report.ok
    write_seq = [e.seq for e in store.audit_entries() if e.action == "write"][1]
    assert f"audit row {write_seq} (write" in report.reason
    assert "stored 2 statements, 1 of them are left" in report.reason


def test_a_statement_added_without_a_write_is_named(store: Store) -> None:
    stored(store)
    row = forged_row(row_of(store, "Anna Berg"), "Olga Petrova")
    row["write_id"] = None
    with store.engine.begin() as conn:
        conn.execute(sa.insert(statement).values(**row))
    report = store.audit_verify()
    assert not report.ok
    assert row["id"] in report.reason and "stored by no audited write" in report.reason
    assert report.broken_statement_seq is not None


def test_a_statement_slipped_into_a_write_is_named(store: Store) -> None:
    stored(store)
    row = forged_row(row_of(store, "Ivan Petrov"), "Ivan Petrenko")
    with store.engine.begin() as conn:
        conn.execute(sa.insert(statement).values(**row))
    report = store.audit_verify()
    assert not report.ok
    assert row["id"] in report.reason and "one more than audit row" in report.reason


def test_a_value_replaced_with_a_recomputed_id_is_caught(store: Store) -> None:
    stored(store)
    original = row_of(store, "Anna Berg")
    forged = forged_row(original, "Anna Borg")
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(statement)
            .where(statement.c.seq == original["seq"])
            .values(id=forged["id"], key=forged["key"], value="Anna Borg")
        )
    report = store.audit_verify()
    assert not report.ok
    assert "are not the ones it stored" in report.reason
    write_seq = [e.seq for e in store.audit_entries() if e.action == "write"][1]
    assert f"audit row {write_seq} " in report.reason


def test_cli_names_a_deleted_statement_s_write(tmp_path: Path) -> None:
    from palermo.cli.main import app

    db = f"sqlite:///{tmp_path / 'p.db'}"
    store = Store.open(db)
    stored(store)
    with store.engine.begin() as conn:
        conn.execute(sa.delete(statement).where(statement.c.value == "Ivan Petrov"))
    store.close()
    result = CliRunner().invoke(app, ["--db", db, "audit", "verify"])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "statement store tampered: audit row" in output
    assert "deleted behind the audit log's back" in output


def legacy_store(store: Store) -> list[dict[str, Any]]:
    """The database at revision 0006 with two statements written the old way: rows without
    a write id and an audit row with the old detail (count and digest of ids offered)."""
    metadata.drop_all(store.engine)
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    migrate.upgrade(store.engine, "0006")
    stmts = person("A1", "p1", Sharing.parse("owner"), name="Ivan Petrov")
    rows = [statement_row(s, datetime.now(UTC)) for s in stmts]
    for row in rows:
        del row["write_id"]
    old_statement = sa.table("statement", *(sa.column(c) for c in rows[0]))
    sharing = stmts[0].sharing
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(policy).values(
                id=sharing.policy_id,
                canonical=sharing.canonical,
                everyone=False,
                victim_sensitive=False,
                no_onward=False,
            )
        )
        conn.execute(sa.insert(old_statement), rows)
        audit.append(conn, "A1", "anna", "import", "a1.p1", {"statements": 2, "digest": "x"})
    return rows


def test_statements_stored_before_write_ids_are_covered_by_the_baseline(store: Store) -> None:
    rows = legacy_store(store)
    migrate.upgrade(store.engine)
    store._known_policies.clear()
    entries = store.audit_entries()
    assert [e.action for e in entries] == ["import", "audit.baseline"]
    assert "write" not in json.loads(entries[0].detail)
    assert store.audit_verify().ok
    with store.engine.begin() as conn:
        conn.execute(sa.delete(statement).where(statement.c.id == rows[1]["id"]))
    report = store.audit_verify()
    assert not report.ok
    assert "audit row 2 (audit.baseline" in report.reason and "1 of them" in report.reason


def test_a_migrated_empty_database_gets_no_baseline(store: Store) -> None:
    assert [e.action for e in store.audit_entries()] == []
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar() == 0
    assert store.audit_verify().ok
