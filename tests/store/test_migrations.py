"""The Alembic migrations produce exactly the schema tables.py describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from palermo.store.store import Store
from palermo.store.tables import metadata


def test_migrations_match_the_table_definitions(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
