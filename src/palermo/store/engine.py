"""Opening a database: SQLite (embedded default) or PostgreSQL, same code above this line."""

from __future__ import annotations

import os
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError

DEFAULT_URL = "sqlite:///palermo.db"
# The drivers we ship and test: anything else would fail later with a missing module.
DRIVERS = {"sqlite": "sqlite", "sqlite+pysqlite": "sqlite", "postgresql+psycopg": "postgresql"}
URL_FORMS = "use sqlite:///FILE or postgresql://USER@HOST[:PORT]/DATABASE"


class DatabaseURLError(ValueError):
    """A database URL (``--db`` or ``$PALERMO_DB``) this node cannot use; one line, no secret."""


def database_url(explicit: str | None = None) -> str:
    """An explicit URL, else ``$PALERMO_DB``, else ``palermo.db`` in the working directory."""
    url = explicit or os.environ.get("PALERMO_DB") or DEFAULT_URL
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    check_url(url)
    return url


def check_url(url: str) -> None:
    """Refuse a URL that is malformed or names an unsupported database, naming the setting;
    SQLAlchemy would raise a parse error or a missing-driver traceback instead."""
    try:
        parsed = sa.engine.make_url(url)
    except ArgumentError:
        raise DatabaseURLError(
            f"database URL (--db or $PALERMO_DB): {_masked(url)!r} is not a URL ({URL_FORMS})"
        ) from None
    if parsed.drivername not in DRIVERS:
        raise DatabaseURLError(
            f"database URL (--db or $PALERMO_DB): {parsed.drivername!r} is not supported "
            f"({URL_FORMS})"
        )


def display_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return _masked(url)


def _masked(text: str) -> str:
    """Hide anything that looks like credentials (``scheme://user:secret@``)."""
    return re.sub(r"(?<=://)[^/@]*@", "***@", text)


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
    """WAL lets readers run beside the writer; foreign keys are off by default in SQLite.

    SQLite's own ``lower()`` folds ASCII only, so a search for "Коваленко" or "ÉLODIE" would
    miss; Python's ``str.lower`` folds every script the way PostgreSQL does."""
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _unicode_lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value
