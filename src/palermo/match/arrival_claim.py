"""The arrival feed's claim protocol: which host resolves which range of the feed for a view.

Why a module of its own: the resolver host (`match.arrivals`) decides *what* to do with the
records that arrive in a view; this module decides *who* does it, so that any number of
processes on one database (`palermo serve`'s supervisor, tests, a second node process)
resolve every range of every view exactly once (ADR 0033, migration 0018). It knows the
feed, the `xref_arrival` rows and their leases, and nothing of resolvers or Splink; the
ledger (`match.ledger.lock_view`) uses the same rows as its per-view write lock.

The feed: every committed write leaves an audit row naming its write id (`store.audit`,
"write"), and every statement row it inserted carries that id; audit rows are appended
under one lock of the chain head, so their seqs are in commit order and every row up to
the committed head is committed. So the audit log is the node's arrival feed, whichever
process wrote. Per view, `xref_arrival` holds the audit seq through which the view's
arrivals are resolved (`seq`), where the last range with arrivals ended (`arrivals_seq`),
and the claim on it, if any (`holder`, `lease_until`).

The protocol: a range of the feed with arrivals is *claimed* before it is resolved, by a
compare-and-set on the view's row (its seq unchanged, no live claim) that sets this host
and a lease. Exactly one host wins on SQLite (one writer) and on PostgreSQL (the second
UPDATE waits for the row lock and then finds the row changed); the winner resolves the
range, renewing the lease on a heartbeat thread (a rebuild may take minutes), and releases
it moving the seq on, so two hosts never resolve the same arrivals twice. A host that dies
leaves a lease that runs out, and another host takes the range again. A range without
arrivals is passed over by the same compare-and-set, with no claim.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.store.store import Store
from palermo.store.tables import audit_head, audit_log, statement, xref_arrival

log = logging.getLogger(__name__)

BATCH = 500  # write ids per read of the statements a range holds
SCAN_MAX = 100_000  # audit rows looked at per range (bounded work per claim)
LEASE_SECONDS = 30.0  # a claim not renewed for this long is taken over by another host
FEED_SCHEMATA = ("Person", "MatchJudgement")
WRITE_MARK = '%"write":{%'  # an audit detail that records statements (sorted, compact JSON)


@dataclass(frozen=True)
class Claim:
    """A range of the feed (audit seqs `start` < seq <= `end`) one host resolves for a view."""

    scope: str
    start: int
    end: int
    arrivals_seq: int  # where the last range with arrivals ended, as the row said
    ids: tuple[str, ...]  # the persons and judgements written in the range
    overflow: bool  # more than `queue_max` of them: the view is rebuilt instead


class LostClaim(Exception):
    """The lease ran out and another host took the range over."""


def now_ms() -> int:
    """The clock leases are written in (milliseconds since the epoch, every host alike)."""
    return int(time.time() * 1000)


def feed_head(conn: Connection) -> int:
    """The newest committed audit seq: every audit row up to it is committed."""
    return int(conn.execute(sa.select(sa.func.max(audit_head.c.seq))).scalar() or 0)


class Feed:
    """One host's side of the protocol on one store: its identity, its lease length, and
    the reads and compare-and-sets on the views' rows."""

    def __init__(self, store: Store, queue_max: int, lease: float = LEASE_SECONDS) -> None:
        self.store = store
        self.queue_max = queue_max
        self.lease_ms = int(lease * 1000)
        self.host = f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._ranges: dict[tuple[int, int], tuple[list[str], bool]] = {}  # one poll's reads

    def head(self) -> int:
        """The feed's committed head now (see :func:`feed_head`)."""
        with self.store.engine.connect() as conn:
            return feed_head(conn)

    def new_poll(self) -> None:
        """Forget the ranges read: the views are mostly at one position, so one poll reads
        each range once for all of them."""
        self._ranges.clear()

    def ensure_rows(self, scopes: set[str], head: int) -> None:
        """A row per known view; a new view starts where the known views are (the lowest
        position, so nothing committed since they were read is skipped), or at the head."""
        with self.store.engine.begin() as conn:
            rows = dict(conn.execute(sa.select(xref_arrival.c.scope, xref_arrival.c.seq)).all())
            missing = sorted(scopes - set(rows))
            if not missing:
                return
            known = [int(seq) for scope, seq in rows.items() if scope in scopes]
            start = min(known, default=head)
            for scope in missing:
                values = {"scope": scope, "seq": start, "arrivals_seq": start}
                conn.execute(_insert_ignore(conn, values))

    def caught_up(self, scopes: set[str], target: int) -> bool:
        """Every view in ``scopes`` resolved through ``target``, and no claim held."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.select(xref_arrival.c.scope, xref_arrival.c.seq)).all()
            busy = conn.execute(
                sa.select(sa.func.count()).where(xref_arrival.c.holder.is_not(None))
            ).scalar()
        done = {str(s) for s, seq in rows if int(seq) >= target}
        return scopes <= done and not busy

    def next(self, scope: str, head: int) -> Claim | None:
        """The view's next range, claimed by this host; a range without arrivals is
        passed over (its seq moved on by compare-and-set, nothing to claim). None when
        the view is at the head or another host holds it."""
        now = now_ms()
        with self.store.engine.connect() as conn:
            row = conn.execute(sa.select(xref_arrival).where(xref_arrival.c.scope == scope)).first()
        if row is None or int(row.seq) >= head:
            return None
        if row.holder is not None and int(row.lease_until or 0) > now:
            return None
        start, end = int(row.seq), min(head, int(row.seq) + SCAN_MAX)
        free = sa.or_(xref_arrival.c.holder.is_(None), xref_arrival.c.lease_until < now)
        same = sa.and_(xref_arrival.c.scope == scope, xref_arrival.c.seq == start, free)
        if (start, end) not in self._ranges:  # committed rows: the same for every host
            self._ranges[(start, end)] = self.arrived(start, end)
        ids, overflow = self._ranges[(start, end)]
        if not ids and not overflow:
            with self.store.engine.begin() as conn:
                conn.execute(sa.update(xref_arrival).where(same).values(seq=end))
            return self.next(scope, head) if end < head else None
        with self.store.engine.begin() as conn:
            taken = conn.execute(
                sa.update(xref_arrival)
                .where(same)
                .values(holder=self.host, lease_until=now + self.lease_ms)
            ).rowcount
        if taken != 1:
            return None
        return Claim(scope, start, end, int(row.arrivals_seq), tuple(ids), overflow)

    def _writes(self, start: int, end: int) -> list[str]:
        """The ids of the writes audited in (start, end] that stored statements."""
        query = sa.select(audit_log.c.detail).where(
            audit_log.c.seq > start, audit_log.c.seq <= end, audit_log.c.detail.like(WRITE_MARK)
        )
        out: list[str] = []
        with self.store.engine.connect() as conn:
            for (detail,) in conn.execute(query):
                write = json.loads(detail).get("write")
                if isinstance(write, dict) and write.get("statements"):
                    out.append(str(write["id"]))
        return out

    def arrived(self, start: int, end: int) -> tuple[list[str], bool]:
        """The entities (persons, judgements) written in (start, end], and whether there
        are more than `queue_max` of them (then none are listed: the view is rebuilt)."""
        ids: set[str] = set()
        writes = self._writes(start, end)
        with self.store.engine.connect() as conn:
            for at in range(0, len(writes), BATCH):
                room = self.queue_max + 1 - len(ids)
                query = (
                    sa.select(statement.c.entity_id)
                    .where(
                        statement.c.write_id.in_(writes[at : at + BATCH]),
                        statement.c.schema.in_(FEED_SCHEMATA),
                    )
                    .distinct()
                    .limit(room)
                )
                ids.update(str(e) for (e,) in conn.execute(query))
                if len(ids) > self.queue_max:
                    return [], True
        return sorted(ids), False

    def renew(self, claim: Claim) -> bool:
        """Extend the lease; False when another host took the range over."""
        with self.store.engine.begin() as conn:
            kept = conn.execute(
                sa.update(xref_arrival)
                .where(xref_arrival.c.scope == claim.scope, xref_arrival.c.holder == self.host)
                .values(lease_until=now_ms() + self.lease_ms)
            ).rowcount
        return bool(kept == 1)

    def release(self, claim: Claim, done: bool) -> bool:
        """Give the range back: resolved (the seq moves on) or not (another try later)."""
        values: dict[str, Any] = {"holder": None, "lease_until": None}
        if done:
            values.update(seq=claim.end, arrivals_seq=claim.end)
        mine = sa.and_(
            xref_arrival.c.scope == claim.scope,
            xref_arrival.c.holder == self.host,
            xref_arrival.c.seq == claim.start,
        )
        with self.store.engine.begin() as conn:
            return conn.execute(sa.update(xref_arrival).where(mine).values(**values)).rowcount == 1

    def hold(self, claim: Claim) -> Lease:
        """Start renewing ``claim``'s lease while it is resolved (see :class:`Lease`)."""
        return Lease(self, claim)


class Lease:
    """A claim being resolved: its lease renewed on a thread every quarter lease until
    :meth:`end`. :meth:`check` raises `LostClaim` once a renewal found that another host
    took the range over, so the resolver stops between steps instead of writing on."""

    def __init__(self, feed: Feed, claim: Claim) -> None:
        self.feed = feed
        self.claim = claim
        self._lost = threading.Event()
        self._done = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, daemon=True)
        self._beat.start()

    def _heartbeat(self) -> None:
        while not self._done.wait(self.feed.lease_ms / 4000):
            try:
                if not self.feed.renew(self.claim):
                    self._lost.set()
                    return
            except Exception:  # the database was away: the next beat tries again
                log.warning("renewing the claim on view %s failed", self.claim.scope)

    def check(self) -> None:
        if self._lost.is_set():
            raise LostClaim(self.claim.scope)

    def end(self) -> None:
        """Stop renewing (the range is about to be released, or is lost)."""
        self._done.set()
        self._beat.join()


def _insert_ignore(conn: Connection, values: Mapping[str, Any]) -> Any:
    """INSERT that leaves a row another host created meanwhile (both backends)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(xref_arrival).values(**values).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(xref_arrival).values(**values).on_conflict_do_nothing()


def lock_view(conn: Connection, scope: str) -> None:
    """Serialise the ledger writes of one view across processes, first thing in the
    writing transaction: a batch run, an arrival, an undo each read the stored identities
    and write the difference, and two of them reading the same table would both write its
    merges (the second one's read comes after the first one's commit once it holds the
    lock). The view's feed row is the lock (created at the audit head if missing, so it
    moves no host's position back); on SQLite the INSERT takes the database's write lock,
    as `audit._claim_head` does, on PostgreSQL the row is locked FOR UPDATE."""
    head = sa.select(sa.func.coalesce(sa.func.max(audit_head.c.seq), 0)).scalar_subquery()
    # the WHERE: SQLite reads ON CONFLICT after a bare SELECT as part of it
    values = sa.select(sa.literal(scope), head, head).where(sa.true())
    columns = ["scope", "seq", "arrivals_seq"]
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(xref_arrival).from_select(columns, values).on_conflict_do_nothing())
        lock = sa.select(xref_arrival.c.scope).where(xref_arrival.c.scope == scope)
        conn.execute(lock.with_for_update())
        return
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    conn.execute(sqlite_insert(xref_arrival).from_select(columns, values).on_conflict_do_nothing())
