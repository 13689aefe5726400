"""Opening a database: SQLite (embedded default) or PostgreSQL, same code above this line."""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

DEFAULT_URL = "sqlite:///palermo.db"


def database_url(explicit: str | None = None) -> str:
    """An explicit URL, else ``$PALERMO_DB``, else ``palermo.db`` in the working directory."""
    url = explicit or os.environ.get("PALERMO_DB") or DEFAULT_URL
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def create_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        # A pool as large as the server's worker threads: a connection opened per request
        # (and its pragmas) would cost more than the request.
        engine = sa.create_engine(url, connect_args={"timeout": 30}, pool_size=40, max_overflow=20)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside the writer; foreign keys are off by default in SQLite."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
