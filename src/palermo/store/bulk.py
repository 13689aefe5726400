"""Bulk statement loading: the write path of imports, at the speed of the database.

The reference path (``writer.append_statements``) goes through SQLAlchemy's executemany,
which compiles and type-processes every row in Python, computes each statement's content
hashes up to five times and re-reads what it wrote to index it. Profiled on
``bench/store.py --statements 100000`` (SQLite) that was ~70% of an import (ADR 0019).
This path keeps the same rules and drops the overhead:

- each statement's key and content id are hashed once, in one loop per batch (no call per
  statement; one ISO form per distinct time), each sharing policy's canonical form and id
  once per batch (ADR 0039, amendment of 2026-11-30);
- the stored state of the batch's keys (what is current, which ids exist) is one query on
  the ``key`` index per batch, and the "already current" rule of ``writer`` is applied
  to it and to the batch in order (``writer._not_yet_current``'s rule, re-timing included);
- PostgreSQL: the new rows are ``COPY``-ed (binary) into a session-local temporary table
  and moved with one ``INSERT ... SELECT ... ORDER BY ord RETURNING id, seq`` (the
  statement-order lock of ADR 0040 keeps other writers out, so every deduplicated row is
  new); SQLite: one prepared ``executemany`` of plain tuples, whose seqs follow from the
  rowid when every row went in;
- the search terms of the new rows are computed from the rows in memory (PostgreSQL:
  on a helper thread while the rows go in, for large batches; ADR 0039) and added under
  the ``seq`` the insert returned: one ``COPY`` into ``search_term`` (no staging table,
  no re-read; ADR 0027);
- policies and aliases are ensured once per batch; the write's id is stamped on every row
  and its ids noted for the audit row, exactly as the reference path does;
- the garbage collector's automatic passes are paused for the write (``gc_pause``).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store import audit, gc_pause, search_index
from palermo.store.tables import statement
from palermo.store.writer import Sameness, _later_than, ensure_aliases, ensure_policies

BATCH = 20_000
# From this many assertions on, a batch's search terms are computed on a helper thread
# (PostgreSQL only: on SQLite the thread measured no gain, ADR 0039).
THREAD_FROM = 2_000
# Below this many new rows COPY's temporary table costs more than it saves.
COPY_FROM = 500

COLUMNS = (
    "id",
    "key",
    "entity_id",
    "schema",
    "prop",
    "value",
    "agency",
    "source_record_id",
    "policy_id",
    "first_seen",
    "last_seen",
    "retracted",
    "recorded_at",
    "received_from",
    "write_id",
)
STAGE = "palermo_bulk_stage"
# The staging table's column types, (ord, *COLUMNS), for binary COPY: the server takes the
# values as they are instead of parsing their text (three timestamps a row); 100,000 rows
# went in in 0.34 s instead of 1.91 s (ADR 0027, amendments of 2026-11-30).
_TYPE_OF = {"first_seen": "timestamptz", "last_seen": "timestamptz", "recorded_at": "timestamptz"}
STAGE_TYPES = (
    "int4",
    *(_TYPE_OF.get(c, "bool" if c == "retracted" else "varchar") for c in COLUMNS),
)

# Called with each batch of incoming statements and their content ids, before the dedupe.
Seen = Callable[[Sequence[Statement], Sequence[str]], None]


class Prepared(tuple[Statement, str, str, str, str]):
    """A statement with its content hashes computed once: (statement, key, content id,
    policy id, canonical sharing). A tuple: 20,000 are made per batch and unpacked in the
    loops below, without an ``__init__`` or attribute lookups per statement."""

    __slots__ = ()

    @property
    def stmt(self) -> Statement:
        return self[0]

    @property
    def key(self) -> str:
        return self[1]

    @property
    def id(self) -> str:
        return self[2]

    @property
    def policy_id(self) -> str:
        return self[3]

    @property
    def canonical(self) -> str:
        return self[4]

    @property
    def sameness(self) -> Sameness:
        return (self[1], self[0].schema, self[0].source_record_id, self[3])


class _Policies:
    """Canonical form and id of each sharing seen (computing them hashes and sorts).

    Looked up by the sharing object first (an import's statements share a few ``Sharing``
    objects; hashing a frozen dataclass by value costs more than the rest of the lookup),
    then by value. The entry keeps the object, so its ``id`` cannot be reused meanwhile."""

    def __init__(self) -> None:
        self.found: dict[Sharing, tuple[str, str]] = {}
        self.by_object: dict[int, tuple[Sharing, str, str]] = {}

    def of(self, sharing: Sharing) -> tuple[str, str]:
        known = self.found.get(sharing)
        if known is None:
            canonical = sharing.canonical
            known = (canonical, hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:20])
            self.found[sharing] = known
        self.by_object[id(sharing)] = (sharing, *known)
        return known


def content_hashes(stmt: Statement, canonical: str) -> tuple[str, str]:
    """``stmt.key`` and ``stmt.id`` (model.statement) in two hashes instead of three;
    ``tests/store/test_bulk.py`` checks they are the model's."""
    key = hashlib.sha1(
        "\x1f".join((stmt.entity_id, stmt.prop, stmt.value, stmt.agency)).encode("utf-8")
    ).hexdigest()
    raw = "\x1f".join(
        (
            key,
            stmt.schema,
            stmt.source_record_id,
            canonical,
            stmt.first_seen.isoformat(),
            stmt.last_seen.isoformat() if stmt.last_seen else "",
            "r" if stmt.retracted else "a",
        )
    )
    return key, hashlib.sha1(raw.encode("utf-8")).hexdigest()


def append_bulk(
    conn: Connection,
    stmts: Iterable[Statement],
    known: set[str],
    received_from: str | None = None,
    seen: Seen | None = None,
) -> int:
    """``writer.append_statements`` plus ``search_index.index_written``, in bulk: the same
    rows, ids, policies, aliases and search terms; returns how many statements were new.

    ``seen`` is called with every batch of incoming statements and their content ids, in
    order, before the dedupe (``Store._write`` digests them for its audit row without
    hashing again).

    The garbage collector's automatic passes are paused meanwhile (``gc_pause``): a
    batch's objects made it run full passes over the whole process again and again."""
    with gc_pause.paused():
        return _append(conn, stmts, known, received_from, seen)


def _append(
    conn: Connection,
    stmts: Iterable[Statement],
    known: set[str],
    received_from: str | None,
    seen: Seen | None,
) -> int:
    now = datetime.now(UTC)
    write = audit.pending_write(conn)
    policies = _Policies()
    iso: dict[tuple[datetime, timedelta | None], str] = {}
    count = 0
    incoming = iter(stmts)
    while chunk := list(itertools.islice(incoming, BATCH)):
        batch = _prepare(chunk, policies, iso)
        if seen is not None:
            seen(chunk, [p[2] for p in batch])
        count += _flush(conn, batch, known, now, received_from, write, policies)
    return count


def _prepare(
    chunk: list[Statement], policies: _Policies, iso: dict[tuple[datetime, timedelta | None], str]
) -> list[Prepared]:
    """``content_hashes`` of every statement of a batch, in one loop: the hash functions,
    the policy lookup and the dates' ISO forms (one per distinct time, ``_iso``) taken
    inline instead of through a call or two per statement each."""
    sha1 = hashlib.sha1
    join = "\x1f".join
    by_object = policies.by_object
    out: list[Prepared] = []
    append = out.append
    for stmt in chunk:
        sharing = stmt.sharing
        found = by_object.get(id(sharing))
        if found is not None and found[0] is sharing:
            canonical, pid = found[1], found[2]
        else:
            canonical, pid = policies.of(sharing)
        key = sha1(
            join((stmt.entity_id, stmt.prop, stmt.value, stmt.agency)).encode("utf-8")
        ).hexdigest()
        first, last = stmt.first_seen, stmt.last_seen
        raw = join(
            (
                key,
                stmt.schema,
                stmt.source_record_id,
                canonical,
                iso.get((first, first.utcoffset())) or _iso(iso, first),
                "" if last is None else iso.get((last, last.utcoffset())) or _iso(iso, last),
                "r" if stmt.retracted else "a",
            )
        )
        append(Prepared((stmt, key, sha1(raw.encode("utf-8")).hexdigest(), pid, canonical)))
    return out


def _iso(iso: dict[tuple[datetime, timedelta | None], str], when: datetime) -> str:
    """``when.isoformat()``, remembered under the time and its UTC offset: two times equal
    with the same offset have the same fields, so the same ISO form (equal times of other
    offsets, ``12:00+00:00`` and ``13:00+01:00``, are different keys)."""
    found = iso[(when, when.utcoffset())] = when.isoformat()
    return found


def _flush(
    conn: Connection,
    batch: list[Prepared],
    known: set[str],
    now: datetime,
    received_from: str | None,
    write: audit.PendingWrite,
    policies: _Policies,
) -> int:
    if not batch:
        return 0
    fresh = _not_yet_current(conn, batch, received_from is None)
    if not fresh:
        return 0
    terms = _terms_beside(fresh, conn.dialect.name)  # while the rows go in (ADR 0027, 0039)
    ensure_policies(conn, {p.stmt.sharing for p in fresh}, known)
    ensure_aliases(conn, {p.stmt.entity_id for p in fresh if p.stmt.sharing.victim_sensitive})
    rows = _rows(conn, fresh, now, received_from, write.id)
    if conn.dialect.name == "postgresql" and len(rows) >= COPY_FROM:
        inserted = _copy_insert(conn, rows)
    else:
        inserted = _executemany_insert(conn, rows, write.id)
    write.ids.extend(inserted)
    # The term rows carry the entity (0022) and the statement's immutable facts (0026).
    copied = {
        p.id: (p.stmt.entity_id, p.stmt.schema, p.stmt.prop, p.stmt.agency, p.policy_id, p.key)
        for p in fresh
    }
    search_index.insert_new_terms(
        conn,
        [
            (term, inserted[sid], kind, *copied[sid])
            for sid, term, kind in terms()
            if sid in inserted
        ],
    )
    return len(inserted)


def _terms_beside(fresh: list[Prepared], dialect: str) -> Callable[[], list[tuple[str, str, str]]]:
    """The search terms of the batch's assertions, (statement id, term, kind), started now
    and collected after the insert. On PostgreSQL a large batch's terms are computed on a
    helper thread: while the server works on the ``INSERT ... SELECT`` the driver releases
    the GIL, and the Python of name forms and phone parsing runs in that wait (measured
    1.19x on a loaded machine, ADR 0039). On SQLite the insert runs in this process and
    the thread measured no gain (0.97x), so the terms are computed inline there."""
    values = [(sid, s.schema, s.prop, s.value) for s, _, sid, _, _ in fresh if not s.retracted]
    if len(values) < THREAD_FROM or dialect != "postgresql":
        found = search_index.terms_of(values)
        return lambda: found
    return _term_pool().submit(search_index.terms_of, values).result


def _term_pool() -> ThreadPoolExecutor:
    """One helper thread per core, shared by every write of the process (a thread per
    write would pile up under concurrent imports). Per process id: a forked child does not
    inherit the parent's threads, and a pool whose threads are gone never runs a task."""
    return _pool_of(os.getpid())


@functools.cache
def _pool_of(pid: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="bulk-terms")


def _not_yet_current(conn: Connection, batch: list[Prepared], local: bool) -> list[Prepared]:
    """``writer._not_yet_current`` on prepared statements (see there for the rule)."""
    current, stored_ids = _stored(conn, sorted({p[1] for p in batch}))
    out: list[Prepared] = []
    for p in batch:
        stmt, key, sid, pid, canonical = p
        same = (key, stmt.schema, stmt.source_record_id, pid)
        if sid in stored_ids:
            if not local or stmt.retracted or same in current:
                continue
            stmt = replace(stmt, first_seen=_later_than(stmt.first_seen))
            sid = content_hashes(stmt, canonical)[1]
            if sid in stored_ids:
                continue
            p = Prepared((stmt, key, sid, pid, canonical))
        if stmt.retracted:
            current.discard(same)
        elif same in current:
            continue
        else:
            current.add(same)
        out.append(p)
        stored_ids.add(sid)
    return out


def _stored(conn: Connection, keys: Sequence[str]) -> tuple[set[Sameness], set[str]]:
    """``writer._stored`` in one driver-level query per 5,000 keys (the ``key`` index)."""
    rows: list[tuple[Any, ...]] = []
    cols = "id, key, schema, source_record_id, policy_id, seq, retracted"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(keys), 5000):
            part = list(keys[start : start + 5000])
            if conn.dialect.name == "postgresql":
                cursor.execute(f"SELECT {cols} FROM statement WHERE key = ANY(%s)", (part,))
            else:
                marks = ",".join("?" * len(part))
                cursor.execute(f"SELECT {cols} FROM statement WHERE key IN ({marks})", part)
            rows.extend(cursor.fetchall())
    finally:
        cursor.close()
    retracted_at: dict[str, int] = {}
    for _sid, key, _schema, _source, _pid, seq, retracted in rows:
        if retracted:
            retracted_at[key] = max(retracted_at.get(key, 0), int(seq))
    current = {
        (key, schema, source, pid)
        for _sid, key, schema, source, pid, seq, retracted in rows
        if not retracted and int(seq) > retracted_at.get(key, 0)
    }
    return current, {str(r[0]) for r in rows}


def _rows(
    conn: Connection,
    fresh: list[Prepared],
    now: datetime,
    received_from: str | None,
    write_id: str,
) -> list[tuple[Any, ...]]:
    """Driver-ready tuples in ``COLUMNS`` order, through the dialect's own bind processors
    (SQLite stores datetimes as text in SQLAlchemy's format: the rows must read back the
    same as rows the reference path wrote)."""
    dialect = conn.dialect
    when = statement.c.first_seen.type._cached_bind_processor(dialect)
    flag = statement.c.retracted.type._cached_bind_processor(dialect)
    times: dict[datetime, Any] = {}

    def at(value: datetime | None) -> Any:
        if value is None or when is None:
            return value
        found = times.get(value)
        if found is None:
            found = times[value] = when(value)
        return found

    recorded = at(now)
    true, false = (flag(True), flag(False)) if flag is not None else (True, False)
    return [
        (
            sid,
            key,
            s.entity_id,
            s.schema,
            s.prop,
            s.value,
            s.agency,
            s.source_record_id,
            pid,
            at(s.first_seen),
            at(s.last_seen),
            true if s.retracted else false,
            recorded,
            received_from,
            write_id,
        )
        for s, key, sid, pid, _ in fresh
    ]


def _executemany_insert(
    conn: Connection, rows: list[tuple[Any, ...]], write_id: str
) -> dict[str, int]:
    """SQLite (and small PostgreSQL batches): one prepared INSERT for every row; the ids
    inserted, in order, with their ``seq`` (for the search terms)."""
    names = ", ".join(f'"{c}"' for c in COLUMNS)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "sqlite":
            # The dedupe above left out every id already stored, and SQLite has one writer
            # at a time: every row is new (as in writer._insert_returning_ids), and takes a
            # seq above the highest one stored before it.
            cursor.execute("SELECT coalesce(max(seq), 0) FROM statement")
            mark = int(cursor.fetchone()[0])
            marks = ", ".join("?" * len(COLUMNS))
            cursor.execute("PRAGMA cache_size = -65536")  # 64 MiB for the index pages
            cursor.executemany(
                f"INSERT INTO statement ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows
            )
            inserted = cursor.rowcount
            cursor.execute("SELECT last_insert_rowid()")
            last = int(cursor.fetchone()[0])
            if inserted == len(rows) and last - mark == len(rows):
                # Every row went in, and the seqs (the rowid: each new one above every
                # other) came out as the n numbers after the mark: in row order, no need
                # to read them back (20,000 rows a batch).
                return {str(row[0]): mark + n for n, row in enumerate(rows, 1)}
            cursor.execute(
                "SELECT id, seq FROM statement WHERE seq > ? AND write_id = ? ORDER BY seq",
                (mark, write_id),
            )
            return {str(sid): int(seq) for sid, seq in cursor.fetchall()}
        marks = ", ".join(["%s"] * len(COLUMNS))
        cursor.executemany(
            f"INSERT INTO statement ({names}) VALUES ({marks}) "
            "ON CONFLICT DO NOTHING RETURNING id, seq",
            rows,
            returning=True,
        )
        ids: dict[str, int] = {}
        while True:
            ids.update((str(sid), int(seq)) for sid, seq in cursor.fetchall())
            if not cursor.nextset():
                return ids
    finally:
        cursor.close()


def _copy_insert(conn: Connection, rows: list[tuple[Any, ...]]) -> dict[str, int]:
    """PostgreSQL: binary COPY into a temporary table, then one INSERT ... SELECT in batch
    order (``seq`` follows it: a retraction stays after the assertion it withdraws).

    Every row is new, as on SQLite: this write holds the statement-order lock from
    ``audit.pending_write`` (taken before ``_stored`` read what is stored) until it
    commits, so no other write can insert meanwhile (ADR 0040), and the dedupe dropped
    every id stored or seen earlier in the write. So no ``ON CONFLICT DO NOTHING``: its
    speculative insertion cost 38% more server time per batch (ADR 0027, amendments of
    2026-11-30). A duplicate id, should a writer ever bypass the lock, is a unique-key
    error that rolls the whole write back, never a silent skip."""
    names = ", ".join(f'"{c}"' for c in COLUMNS)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} (ord integer NOT NULL, "
            "id varchar(40), key varchar(40), entity_id varchar(255), schema varchar(64), "
            "prop varchar(64), value text, agency varchar(64), source_record_id varchar(255), "
            "policy_id varchar(40), first_seen timestamptz, last_seen timestamptz, "
            "retracted boolean, recorded_at timestamptz, received_from varchar(128), "
            "write_id varchar(32)) ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"TRUNCATE {STAGE}")
        with cursor.copy(f"COPY {STAGE} (ord, {names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(STAGE_TYPES)
            for n, row in enumerate(rows):
                copy.write_row((n, *row))
        cursor.execute(
            f"INSERT INTO statement ({names}) SELECT {names} FROM {STAGE} ORDER BY ord "
            "RETURNING id, seq"
        )
        return {str(sid): int(seq) for sid, seq in cursor.fetchall()}
    finally:
        cursor.close()
