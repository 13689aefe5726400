"""The directory a batch of hit notices needs, remembered by a server process.

A batch of notices (`hit_notices._write_batch`) names each record's owner from the agency
codes and sets each notice's deadline from the owner's follow-up setting. Both tables hold
a row per agency at most and change about never (an agency joins the node, an admin sets
a deadline), yet reading them was one query in every notice transaction, i.e. in every
document check or person screening that hit another agency's record (ADR 0031, amendment
of 2026-11-30).

A process keeps what it read until the directory changes: `Store.announce_directory`
(called by `Store.add_agency` and `hit_notices.set_deadline` in their transactions) runs
this process's listeners after the commit and tells the node's other processes through
the change feed, which PostgreSQL delivers on commit and never on rollback, as it tells
them of data writes for the screening indexes. A process whose change feed is not
listening (SQLite, whose other processes - a CLI beside the server - tell nobody; a CLI
command; a feed that lost its connection and is reconnecting) reads the directory in
every batch, as before: never a stale deadline because nobody could say it changed.

A read that began before a change and ends after it is not kept (``generation``): a
deadline set while a batch read the old one cannot stay remembered.
"""

from __future__ import annotations

import functools
import threading
import weakref
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.store.change_feed import ChangeFeed
from palermo.store.store import Store
from palermo.store.tables import agency, hit_notice_setting


@dataclass(frozen=True)
class Directory:
    """The agency codes (owners of record ids) and the deadlines agencies set (hours)."""

    codes: tuple[str, ...]
    deadlines: dict[str, int]

    @functools.cached_property
    def owners(self) -> dict[str, str]:
        """Lower-case code -> code, the first of the directory's order winning as in
        `hit_notices.owner_of`: a record id's owner in one look-up."""
        found: dict[str, str] = {}
        for code in self.codes:
            found.setdefault(code.lower(), code)
        return found


def read(conn: Connection) -> Directory:
    """Both tables in one round trip (each holds a row per agency at most)."""
    codes = sa.select(agency.c.code.label("agency"), sa.cast(sa.null(), sa.Integer).label("h"))
    hours = sa.select(hit_notice_setting.c.agency, hit_notice_setting.c.deadline_hours)
    found: list[str] = []
    deadlines: dict[str, int] = {}
    for code, set_hours in conn.execute(sa.union_all(codes, hours)):
        if set_hours is None:
            found.append(str(code))
        else:
            deadlines[str(code)] = int(set_hours)
    return Directory(tuple(found), deadlines)


class DirectoryCache:
    """One process's remembered directory; ``clear`` forgets it (a change was announced)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: Directory | None = None
        self._generation = 0  # counts the changes announced, so a racing read is not kept

    def clear(self) -> None:
        with self._lock:
            self._found = None
            self._generation += 1

    def get(self, conn: Connection) -> Directory:
        """The remembered directory, or read in ``conn`` and remembered unless a change was
        announced while it was read."""
        with self._lock:
            found, generation = self._found, self._generation
        if found is not None:
            return found
        fresh = read(conn)
        with self._lock:
            if self._generation == generation:
                self._found = fresh
        return fresh


_CACHES: weakref.WeakKeyDictionary[ChangeFeed, DirectoryCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def directory(store: Store, conn: Connection) -> Directory:
    """The directory for a notice batch of ``store`` in ``conn``: remembered while the
    store's change feed listens (it is then told of every change, here and in the node's
    other processes), else read."""
    feed = store.feed
    if feed is None or not feed.listening.is_set():
        return read(conn)
    with _CACHES_LOCK:
        cache = _CACHES.get(feed)
        if cache is None:
            # one per feed: a store and its purpose-bound copies share the feed and the
            # listeners' list (`Store.for_purpose`)
            cache = _CACHES[feed] = DirectoryCache()
            store.directory_listeners.append(cache.clear)
            store.write_listeners.append(cache.clear)  # a lost feed connection, a restore
    return cache.get(conn)
