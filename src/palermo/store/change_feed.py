"""Change notices between the worker processes of one node (PostgreSQL LISTEN/NOTIFY).

Each process keeps derived data in memory (screening indexes, analysis workspaces, the
short token cache); a write must drop them in *every* process, not only the one that
wrote, or worker B would screen against data worker A already corrected. PostgreSQL
delivers a NOTIFY to every listening session when the writing transaction commits, and
not at all if it rolls back, which is exactly the moment caches become stale. Payloads
name only the kind of change and the sending process, never data.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

CHANNEL = "palermo_changes"
DATA = "data"
TOKENS = "tokens"
# agencies or their hit follow-up deadlines (coordination/notice_directory): not data, so
# the screening indexes stay
DIRECTORY = "directory"
RETRY_SECONDS = 1.0
log = logging.getLogger("palermo.change_feed")


class ChangeFeed:
    """Publishes this process's changes and applies the other processes' ones."""

    def __init__(self, engine: Engine, on_change: Callable[[str], None]) -> None:
        self.engine = engine
        self.origin = uuid.uuid4().hex[:16]
        self._on_change = on_change
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()

    def publish(self, kind: str, conn: Connection | None = None) -> None:
        """Inside ``conn``'s transaction (delivered on commit), or on its own."""
        statement = sa.select(sa.func.pg_notify(CHANNEL, f"{self.origin}:{kind}"))
        if conn is not None:
            conn.execute(statement)
            return
        with self.engine.begin() as own:
            own.execute(statement)

    def start(self) -> ChangeFeed:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="change-feed", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception:  # a lost connection: caches may be stale, so drop them all
                log.warning('{"event":"change_feed_reconnect"}')
                self.listening.clear()
                self._on_change(DATA)
                self._on_change(TOKENS)
                self._stop.wait(RETRY_SECONDS)

    def _listen(self) -> None:
        import psycopg

        dsn = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            while not self._stop.is_set():
                for notice in conn.notifies(timeout=0.5):
                    origin, _, kind = notice.payload.partition(":")
                    if origin != self.origin:
                        self._on_change(kind)
