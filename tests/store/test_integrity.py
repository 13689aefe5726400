"""`audit verify` also catches statements edited in the database (issue 21).

Statement ids are content hashes; a value, policy or date changed in place no longer hashes
to its id, and the check names that statement.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from palermo.cli.main import app
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.tables import statement
from tests.store.factories import person, setup_agencies


def stored(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    store.write(viewers["A1"], person("A1", "p1", Sharing.parse("group:EU"), name="Ivan Petrov"))
    store.write(viewers["B2"], person("B2", "p9", Sharing.parse("owner"), name="Anna Berg"))


def test_untouched_statements_verify(store: Store) -> None:
    stored(store)
    report = store.audit_verify()
    assert report.ok
    assert report.statements_checked == store.count_statements() == 4


@pytest.mark.parametrize(
    ("column", "value"),
    [("value", "Ivan Petrow"), ("agency", "B2"), ("source_record_id", "p2"), ("prop", "alias")],
)
def test_a_statement_edited_in_place_is_caught(store: Store, column: str, value: str) -> None:
    stored(store)
    with store.engine.begin() as conn:
        target = conn.execute(
            sa.select(statement.c.seq, statement.c.id).where(statement.c.value == "Ivan Petrov")
        ).one()
        conn.execute(
            sa.update(statement).where(statement.c.seq == target.seq).values({column: value})
        )
    report = store.audit_verify()
    assert not report.ok
    assert report.broken_statement_seq == target.seq
    assert target.id in report.reason


def test_a_widened_policy_is_caught(store: Store) -> None:
    """Pointing an owner-only value at an everyone policy would share it: caught."""
    stored(store)
    with store.engine.begin() as conn:
        shared = conn.execute(
            sa.select(statement.c.policy_id).where(statement.c.value == "Ivan Petrov")
        ).scalar_one()
        conn.execute(
            sa.update(statement).where(statement.c.value == "Anna Berg").values(policy_id=shared)
        )
    report = store.audit_verify()
    assert not report.ok and "Anna Berg" not in report.reason
    assert report.broken_statement_seq is not None


def test_cli_names_the_changed_statement(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    store = Store.open(db)
    stored(store)
    with store.engine.begin() as conn:
        conn.execute(sa.update(statement).where(statement.c.value == "Anna Berg").values(value="X"))
    store.close()
    result = CliRunner().invoke(app, ["--db", db, "audit", "verify"])
    assert result.exit_code == 1
    assert "statement store tampered at seq" in result.output
