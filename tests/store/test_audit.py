"""The audit chain detects any edited or deleted row, and names the first broken one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from palermo.cli.main import app
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.tables import audit_log
from tests.store.factories import person, setup_agencies


def busy_store(store: Store) -> int:
    """Writes, reads and searches that leave a chain of audit rows; returns its length."""
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    store.write(viewers["A1"], person("A1", "p1", Sharing.parse("group:EU"), name="Ivan Petrov"))
    store.write(viewers["B2"], person("B2", "p9", Sharing.parse("owner"), name="Anna Berg"))
    store.entities(viewers["B2"])
    store.search(viewers["A1"], "petrov")
    return len(store.audit_entries())


def test_intact_chain_verifies(store: Store) -> None:
    rows = busy_store(store)
    report = store.audit_verify()
    assert report.ok and report.rows_checked == rows
    actions = [e.action for e in store.audit_entries()]
    assert {"agency.add", "user.add", "write", "read", "search"} <= set(actions)


@pytest.mark.parametrize("column", ["target", "detail", "username", "ts"])
def test_editing_any_row_is_detected_at_that_row(store: Store, column: str) -> None:
    rows = busy_store(store)
    for seq in range(1, rows + 1):
        with store.engine.begin() as conn:
            original = conn.execute(
                sa.select(audit_log.c[column]).where(audit_log.c.seq == seq)
            ).scalar_one()
            conn.execute(
                sa.update(audit_log).where(audit_log.c.seq == seq).values({column: original + "x"})
            )
        report = store.audit_verify()
        assert not report.ok and report.broken_seq == seq, (column, seq, report)
        with store.engine.begin() as conn:
            conn.execute(
                sa.update(audit_log).where(audit_log.c.seq == seq).values({column: original})
            )
    assert store.audit_verify().ok


def test_deleting_any_row_is_detected(store: Store) -> None:
    rows = busy_store(store)
    for seq in range(1, rows + 1):
        with store.engine.begin() as conn:
            saved = conn.execute(sa.select(audit_log).where(audit_log.c.seq == seq)).one()._mapping
            conn.execute(sa.delete(audit_log).where(audit_log.c.seq == seq))
        report = store.audit_verify()
        assert not report.ok and report.broken_seq == seq, (seq, report)
        with store.engine.begin() as conn:
            conn.execute(sa.insert(audit_log).values(**saved))
    assert store.audit_verify().ok


def test_rehashed_edit_still_breaks_the_next_link(store: Store) -> None:
    """An editor who recomputes the edited row's own hash still breaks the following row."""
    from palermo.store.audit import row_hash

    busy_store(store)
    with store.engine.begin() as conn:
        row = conn.execute(sa.select(audit_log).where(audit_log.c.seq == 3)).one()
        forged = row_hash(
            row.seq,
            row.ts,
            row.agency,
            "someone-else",
            row.action,
            row.target,
            row.detail,
            row.prev_hash,
        )
        conn.execute(
            sa.update(audit_log)
            .where(audit_log.c.seq == 3)
            .values(username="someone-else", hash=forged)
        )
    report = store.audit_verify()
    assert not report.ok and report.broken_seq == 4


def test_cli_verify_names_the_broken_row(store: Store, backend_url: str) -> None:
    busy_store(store)
    runner = CliRunner()
    ok = runner.invoke(app, ["--db", backend_url, "audit", "verify"])
    assert ok.exit_code == 0, ok.output
    with store.engine.begin() as conn:
        conn.execute(sa.update(audit_log).where(audit_log.c.seq == 5).values(action="nothing"))
    broken = runner.invoke(app, ["--db", backend_url, "audit", "verify"])
    assert broken.exit_code == 1
    assert "row 5" in broken.output
