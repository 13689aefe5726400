"""The tamper-evident audit log: an append-only hash chain.

Each row carries the hash of the row before it, so editing a row breaks its own hash and
deleting one breaks the chain. The head row (newest seq and hash) catches a deleted tail.
The head hash can be printed and kept outside the database (`palermo audit head`) to
anchor the chain against someone able to rewrite the whole table.

The audit row of a write also records what the write stored: the id of the write (set on
every statement row it inserted), how many statements and a digest of their ids in sorted
order (``write`` in its detail). ``integrity`` checks the statement table against these, so
a statement deleted, added or rewritten behind the log's back is named. Rows written before
this field existed have no ``write`` and verify as before.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.store.tables import audit_head, audit_log

GENESIS = "0" * 64
HEAD_ID = 1


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    ts: str
    agency: str
    username: str
    action: str
    target: str
    detail: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    rows_checked: int
    broken_seq: int | None = None
    reason: str = ""
    statements_checked: int = 0
    broken_statement_seq: int | None = None


def row_hash(
    seq: int,
    ts: str,
    agency: str,
    username: str,
    action: str,
    target: str,
    detail: str,
    prev_hash: str,
) -> str:
    fields = (str(seq), ts, agency, username, action, target, detail, prev_hash)
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


Event = tuple[str, str, str, str, Mapping[str, Any] | None]  # agency, user, action, target, detail


def append(
    conn: Connection,
    agency: str,
    username: str,
    action: str,
    target: str,
    detail: Mapping[str, Any] | None = None,
    *,
    read_only: bool = False,
) -> AuditEntry:
    """Append one entry inside the caller's transaction, so the audit row and the action
    it records commit or roll back together. If statements were written in this
    transaction since the last entry, the entry records them (``write``). ``read_only``:
    the transaction writes no statement, before or after (see `append_events`)."""
    return append_events(conn, [(agency, username, action, target, detail)], read_only)[0]


def append_events(
    conn: Connection, events: list[Event], read_only: bool = False
) -> list[AuditEntry]:
    """:func:`append` for several entries of one request (e.g. one notice per record a
    screening hit): one lock of the head instead of one per entry. Statements written in
    this transaction since the last entry are recorded on the first."""
    if not events:
        return []
    # Statement-order lock before the head: this transaction may write statements after
    # its audit row, and a write takes them in this order (ADR 0040). A read-only
    # transaction (an audited read), group commits and transactions declared free of
    # statements (`declare_statement_free`: batches of hit notices) never write statements,
    # so they lock the head alone and do not wait while an import inserts.
    if not read_only and not statement_free(conn):
        hold_statement_order(conn)
    written = take_written(conn)
    if written is not None:
        agency, username, action, target, detail = events[0]
        first = {**(detail or {}), "write": written.summary()}
        events = [(agency, username, action, target, first), *events[1:]]
    return append_many(conn, events)


WRITE_KEY = "palermo_write"


@dataclass
class PendingWrite:
    """The statements inserted in one transaction since its last audit entry.

    The writer stamps every row it inserts with ``id`` and adds the row's statement id
    here; the next ``append`` on the same transaction records them and starts afresh."""

    transaction: object
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    ids: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "statements": len(self.ids), "digest": ids_digest(self.ids)}


PURGE_KEY = "purge"  # a purge's record of what is left of each write (store/purge.py)
BASELINE_WRITE = "baseline"  # its key for migration 0007's statements (write id None)


def purged_writes(detail: str) -> dict[str | None, tuple[int, str]]:
    """What a purge's audit detail says is left of each write it took rows from: write id
    -> (statements left, digest of their ids). Empty for any other entry."""
    if f'"{PURGE_KEY}"' not in detail:
        return {}
    record = json.loads(detail).get(PURGE_KEY)
    writes = record.get("writes") if isinstance(record, dict) else None
    if not isinstance(writes, dict):
        return {}
    return {
        None if key == BASELINE_WRITE else str(key): (int(v["statements"]), str(v["digest"]))
        for key, v in writes.items()
        if isinstance(v, dict)
    }


def ids_digest(ids: list[str]) -> str:
    """SHA-256 over statement ids in sorted order: the same set gives the same digest
    whatever order the rows were inserted or are read back in."""
    digest = hashlib.sha256()
    for sid in sorted(ids):
        digest.update(sid.encode("ascii", "replace") + b"\n")
    return digest.hexdigest()


def pending_write(conn: Connection) -> PendingWrite:
    """The write under way in this connection's transaction, begun if there is none.

    ``conn.info`` outlives the transaction (it belongs to the pooled DBAPI connection), so
    a trace left by a transaction that rolled back is recognised by its transaction and
    dropped. Beginning a write takes the statement-order lock on PostgreSQL
    (``hold_statement_order``): every path that inserts statements stamps them with this
    write, so none bypasses it."""
    found = conn.info.get(WRITE_KEY)
    if isinstance(found, PendingWrite) and found.transaction is conn.get_transaction():
        return found
    if statement_free(conn):
        raise RuntimeError(
            "a statement write in a transaction declared free of statements: it may hold "
            "the audit head without the statement-order lock (ADR 0040)"
        )
    hold_statement_order(conn)  # before the write inserts its first statement (ADR 0040)
    fresh = PendingWrite(conn.get_transaction())
    conn.info[WRITE_KEY] = fresh
    return fresh


STATEMENT_FREE_KEY = "palermo_statement_free"


def declare_statement_free(conn: Connection) -> None:
    """This transaction writes no statement, before or after its audit rows: its appends
    skip the statement-order lock (``append_events``), so it is not held up while an import
    inserts. Any statement write attempted in it afterwards raises (``pending_write``)
    instead of taking that lock after the head, the order that could deadlock. Forgotten
    with the transaction (``conn.info`` outlives it, hence the transaction's identity)."""
    conn.info[STATEMENT_FREE_KEY] = conn.get_transaction()


def statement_free(conn: Connection) -> bool:
    """Whether this connection's current transaction was declared free of statements."""
    declared = conn.info.get(STATEMENT_FREE_KEY)
    return declared is not None and declared is conn.get_transaction()


STATEMENT_ORDER_LOCK = 0x70616C65726D6F  # "palermo": the advisory lock of statement writes


def hold_statement_order(conn: Connection) -> None:
    """PostgreSQL: take the statement-order lock now, before this transaction inserts
    statements; held until it commits or rolls back.

    ``statement.seq`` is drawn from a sequence at insert time, so without this two
    concurrent writes could commit seq 102 before seq 101, and every reader that follows
    ``seq > cursor`` (sync, alerts, the search index, prechecks, purges) could move past
    101 while it was still uncommitted and never see it. With it, statement writes commit
    in seq order: whatever seq a reader sees committed, every lower one is committed (or
    rolled back) already. Its own lock, not the chain head's, so that group-committed
    events (screenings, searches) are not held up by a long import; every in-transaction
    append takes it before the head (``append_events``), so the two are always taken in
    one order and cannot deadlock. Re-entrant; a no-op on SQLite, whose database lock
    already serialises writers (ADR 0040)."""
    if conn.dialect.name != "postgresql":
        return
    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(STATEMENT_ORDER_LOCK)))


def take_written(conn: Connection) -> PendingWrite | None:
    """The write under way in this transaction, removed (it is being audited), or None."""
    found = conn.info.pop(WRITE_KEY, None)
    if isinstance(found, PendingWrite) and found.transaction is conn.get_transaction():
        return found
    return None


def append_many(conn: Connection, events: list[Event]) -> list[AuditEntry]:
    """Append entries in order under one lock of the head (group commit)."""
    head = _locked_head(conn)
    seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS)
    out = []
    for agency, username, action, target, detail in events:
        seq += 1
        ts = datetime.now(UTC).isoformat(timespec="microseconds")
        detail_text = json.dumps(dict(detail or {}), sort_keys=True, separators=(",", ":"))
        digest = row_hash(seq, ts, agency, username, action, target, detail_text, prev_hash)
        out.append(
            AuditEntry(seq, ts, agency, username, action, target, detail_text, prev_hash, digest)
        )
        prev_hash = digest
    conn.execute(sa.insert(audit_log), [e.__dict__ for e in out])
    conn.execute(
        sa.update(audit_head)
        .where(audit_head.c.id == HEAD_ID)
        .values(seq=out[-1].seq, hash=out[-1].hash)
    )
    return out


class GroupCommit:
    """Standalone audit events (screening, searches) written in groups by one thread.

    A caller returns only once its entry is committed, as with a direct append; under load
    the entries of many requests share one transaction and one lock of the chain head,
    which is what lets a node log every one of a thousand document checks a second.
    """

    def __init__(self, transaction: Callable[[], AbstractContextManager[Connection]]) -> None:
        self._transaction = transaction
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def submit(self, event: Event) -> None:
        self.wait(self.enqueue(event))

    def enqueue(self, event: Event) -> _Pending:
        """Hand the event to the writer thread and return at once; ``wait`` on the result
        before answering. A search enqueues its row and reads its page meanwhile, so the
        commit is off the critical path without any answer leaving before its row is in."""
        self._ensure_thread()
        pending = _Pending(event)
        self._queue.put(pending)
        return pending

    @staticmethod
    def wait(pending: _Pending) -> None:
        """Return once the event is committed; raise the writer's error if it failed."""
        pending.done.wait()
        if pending.error is not None:
            raise pending.error

    def depth(self) -> int:
        """Events waiting for the writer thread (approximate, for metrics)."""
        return self._queue.qsize()

    async def submit_async(self, event: Event) -> None:
        """The same for an event loop: waits without holding a worker thread."""
        import asyncio

        self._ensure_thread()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def finish(error: Exception | None) -> None:
            if not future.done():
                future.set_exception(error) if error else future.set_result(None)

        pending = _Pending(event, on_done=lambda e: loop.call_soon_threadsafe(finish, e))
        self._queue.put(pending)
        await future

    def _ensure_thread(self) -> None:
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="audit", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < 1000:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            error: Exception | None = None
            try:
                with self._transaction() as conn:
                    append_many(conn, [p.event for p in batch])
            except Exception as exc:  # handed to every waiting caller
                error = exc
            for p in batch:
                p.error = error
                p.done.set()
                if p.on_done is not None:
                    p.on_done(error)


@dataclass
class _Pending:
    event: Event
    done: threading.Event = field(default_factory=threading.Event)
    error: Exception | None = None
    on_done: Callable[[Exception | None], object] | None = None


def _locked_head(conn: Connection) -> Any:
    """The head row (seq, hash), locked until the transaction ends; None before the first
    entry ever.

    PostgreSQL: ``SELECT ... FOR UPDATE`` locks the row, which exists after the first
    entry; only when it does not is it claimed first (one round trip less on every audited
    transaction than claiming each time). SQLite: the claim comes first, see `_claim_head`."""
    locked = (
        sa.select(audit_head.c.seq, audit_head.c.hash)
        .where(audit_head.c.id == HEAD_ID)
        .with_for_update()
    )
    if conn.dialect.name == "postgresql":
        head = conn.execute(locked).first()
        if head is not None:
            return head
    _claim_head(conn)
    return conn.execute(locked).first()


def _claim_head(conn: Connection) -> None:
    """Make sure the head row exists, as a write, so that concurrent appends queue here.

    On PostgreSQL the head is then locked FOR UPDATE; on SQLite, whose driver opens a
    transaction only at the first write, this write takes the database's write lock before
    the head is read -- without it two threads could read one head and write one seq twice.
    """
    values = {"id": HEAD_ID, "seq": 0, "hash": GENESIS}
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        conn.execute(insert(audit_head).values(**values).on_conflict_do_nothing())
    else:
        conn.execute(sa.insert(audit_head).prefix_with("OR IGNORE").values(**values))


def entries(conn: Connection, since: int = 0) -> Iterator[AuditEntry]:
    rows = conn.execute(
        sa.select(audit_log).where(audit_log.c.seq > since).order_by(audit_log.c.seq)
    )
    for row in rows:
        yield AuditEntry(**row._mapping)


def verify(conn: Connection) -> AuditReport:
    """Walk the chain from the first row; report the first row that does not hold."""
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    for entry in entries(conn):
        if entry.seq != expected_seq:
            return AuditReport(False, checked, expected_seq, f"row {expected_seq} is missing")
        if entry.prev_hash != prev_hash:
            return AuditReport(False, checked, entry.seq, "does not link to the row before it")
        recomputed = row_hash(
            entry.seq,
            entry.ts,
            entry.agency,
            entry.username,
            entry.action,
            entry.target,
            entry.detail,
            entry.prev_hash,
        )
        if recomputed != entry.hash:
            return AuditReport(False, checked, entry.seq, "contents were changed")
        checked += 1
        expected_seq, prev_hash = entry.seq + 1, entry.hash
    head = conn.execute(sa.select(audit_head).where(audit_head.c.id == HEAD_ID)).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != expected_seq - 1 or head_hash != prev_hash:
        missing = expected_seq if head_seq >= expected_seq else head_seq
        return AuditReport(
            False,
            checked,
            missing,
            f"the chain head says row {head_seq}, the log ends at "
            f"row {expected_seq - 1}: rows were deleted or the head was changed",
        )
    return AuditReport(True, checked)
