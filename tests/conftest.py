"""Shared fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL is the local server (127.0.0.1:5432, trust auth). `make test` starts it if it
is down; under CI a missing server is a failure, elsewhere those tests are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from palermo.store.store import Store
from palermo.store.tables import metadata

PG_ADMIN_URL = os.environ.get(
    "PALERMO_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG_DB = os.environ.get("PALERMO_TEST_PG_DB", f"palermo_test_{os.getpid()}")


def fresh_pg_database(name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database NAME while the generator runs, dropped after it
    (skipped where no server answers; a failure under CI, which must test PostgreSQL)."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    yield from fresh_pg_database(PG_DB)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'palermo.db'}"
    url: str = request.getfixturevalue("pg_database")
    return url


@pytest.fixture
def store(backend_url: str) -> Iterator[Store]:
    store = Store.open(backend_url)
    wipe(store)
    yield store
    store.close()


def wipe(store: Store) -> None:
    """Delete every row (faster than dropping tables between hypothesis examples)."""
    with store.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    store._known_policies.clear()
