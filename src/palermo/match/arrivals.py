"""Resolving records on arrival (issue 15): resolvers, one per view, fed by the database.

Every committed write leaves an audit row naming its write id (`store.audit`, "write"), and
every statement row it inserted carries that id; audit rows are appended under one lock
of the chain head, so their seqs are in commit order and every row up to the committed
head is committed. That makes the audit log the node's arrival feed, whichever process
wrote: a `palermo serve` worker, a CLI import into the node's database, a received sync
batch. A resolver host (`start`: the supervising process of `palermo serve`, tests)
follows it per view in `xref_arrival` (migration 0018, ADR 0033): the audit seq through
which the view's arrivals are resolved. It polls every POLL_SECONDS, and at once when a
write commits in its own process or, on PostgreSQL, when another process's write is
announced by the change feed (`Store.write_listeners`).

A range of the feed with arrivals is *claimed* before it is resolved: a compare-and-set on
the view's row (its seq unchanged, no live claim) that sets this host and a lease. Exactly
one host wins on SQLite (one writer) and on PostgreSQL (the second UPDATE waits for the
row lock and then finds the row changed); the winner resolves the range and moves the
seq on, so two hosts never resolve the same arrivals twice. A host that dies leaves a
lease that runs out, and another host takes the range again. A resolver holds the view
as of the end of the last range it resolved; when the row says another host resolved a
later range with arrivals, the resolver is out of step and is rebuilt.

Views: every view that already has a persisted model (someone resolved it) and every view
an enabled user of this node reads (agency, with or without victim details). A view's
row starts at the feed's position when a host first sees the view (the lowest position
of the known views, or the audit head on a node's first start), so what was written
before is left to the view's first build and the batch run. A view's resolver is created
lazily on its first range with arrivals by `incremental.run_batch` with the view's
persisted model (trained if it has none), i.e. the first arrival of a view resolves
everything it may see and persists the ids; later arrivals are incremental. Each record
is read through the store as the view's viewer, so a view never links what it may not
see.

A resolver is rebuilt (on the next range with arrivals) when what it holds is no longer
the truth: another model was persisted for the view (a batch resolve), the view's ledger
got an entry it did not write (an undo, a resolve through the API, another host), an
arriving entity is a judgement (an analyst's "same"/"not the same", which the
resolver's clustering obeys), or a range holds more than `queue_max` entities (bounded
memory: one rebuild resolves them all).

In a process that did not start a host (a CLI import) `announce` does nothing: the
node's host finds the write in the feed.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.access.viewer import DATA_ROLES, Role, Viewer
from palermo.store.store import Store
from palermo.store.tables import (
    app_user,
    audit_head,
    audit_log,
    statement,
    xref_arrival,
    xref_ledger,
    xref_model,
)

log = logging.getLogger(__name__)

QUEUE_MAX = 50_000  # entities of one range; past this a rebuild is cheaper than arrivals
BATCH = 500  # entity ids resolved per read (one read per view)
SCAN_MAX = 100_000  # audit rows looked at per range (bounded work per claim)
POLL_SECONDS = 1.0  # the feed is read at least this often (other processes' writes)
LEASE_SECONDS = 30.0  # a claim not renewed for this long is taken over by another host
RETRY_SECONDS = 30.0  # a view whose resolution failed is tried again after this
FEED_SCHEMATA = ("Person", "MatchJudgement")
JUDGEMENT_SCHEMATA = frozenset({"MatchJudgement"})
RESOLVER_USER = "resolver"
WRITE_MARK = '%"write":{%'  # an audit detail that records statements (sorted, compact JSON)

_running: weakref.WeakKeyDictionary[Store, Arrivals] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def viewer_of(scope: str) -> Viewer:
    """The viewer a view is resolved as (the inverse of `ledger.scope_of`)."""
    agency, _, kind = scope.rpartition("|")
    roles = {Role.ANALYST} | ({Role.VICTIM_SUPPORT} if kind == "victim" else set())
    return Viewer(agency, RESOLVER_USER, frozenset(roles))


@dataclass
class _Held:
    resolver: Any  # incremental.Resolver (Splink is imported only when resolving)
    version: str
    seq: int  # the view's last ledger entry this resolver knows
    cursor: int  # the feed position through which the resolver holds the view's arrivals


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


def _now_ms() -> int:
    return int(time.time() * 1000)


class Arrivals:
    """One resolver host: the feed's reader, the resolvers per view and their thread."""

    def __init__(
        self,
        store: Store,
        queue_max: int = QUEUE_MAX,
        poll: float = POLL_SECONDS,
        lease: float = LEASE_SECONDS,
    ) -> None:
        self.store = store
        self.queue_max = queue_max
        self.poll = poll
        self.lease_ms = int(lease * 1000)
        self.host = f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self.resolvers: dict[str, _Held] = {}
        self.resolved = 0  # records resolved on arrival (a metric and for tests)
        self.claimed: list[Claim] = []  # the last ranges this host resolved (tests, debugging)
        self._retry_at: dict[str, float] = {}
        self._lost = threading.Event()  # the claim being resolved was taken over
        self._ranges: dict[tuple[int, int], tuple[list[str], bool]] = {}  # one poll's reads
        self._poll_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="palermo-arrivals", daemon=True)

    def start(self) -> Arrivals:
        self.open_views()
        self.store.write_listeners.append(self.poke)
        self._thread.start()
        return self

    def open_views(self) -> None:
        """Give every known view its row before the first poll: whatever commits after
        `start` returns is in the feed of every view this node reads."""
        with self.store.engine.connect() as conn:
            head = _head(conn)
        self._ensure_rows(self._known_scopes(), head)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self.poke in self.store.write_listeners:
            self.store.write_listeners.remove(self.poke)
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def poke(self) -> None:
        """Read the feed now (a write committed here, or another process announced one)."""
        self._wake.set()

    def submit(self, entity_ids: Iterable[str], agencies: Iterable[str]) -> None:
        """What an import or a received batch announces: the feed holds its records, so
        this only wakes the host (no database work, never blocks)."""
        self.poke()

    def wait(self, timeout: float = 60.0) -> bool:
        """Until every view has resolved the feed as far as it was when called (whichever
        host resolved it); False on time-out."""
        with self.store.engine.connect() as conn:
            target = _head(conn)
        deadline = time.monotonic() + timeout
        while True:
            self.poke()
            if self._caught_up(target):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def _caught_up(self, target: int) -> bool:
        scopes = self._known_scopes()
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.select(xref_arrival.c.scope, xref_arrival.c.seq)).all()
            busy = conn.execute(
                sa.select(sa.func.count()).where(xref_arrival.c.holder.is_not(None))
            ).scalar()
        done = {str(s) for s, seq in rows if int(seq) >= target}
        return scopes <= done and not busy

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll)
            self._wake.clear()
            try:
                self.poll_once()
            except Exception:  # the database was away: read the feed again next time
                log.exception("reading the arrival feed failed")

    def poll_once(self) -> int:
        """Resolve every view's arrivals up to the committed head; returns the number of
        ranges this host claimed (the others were empty or another host's)."""
        with self._poll_lock:
            with self.store.engine.connect() as conn:
                head = _head(conn)
            scopes = self._known_scopes()
            self._ensure_rows(scopes, head)
            self._ranges.clear()  # the views are mostly at one position: read each range once
            claimed = 0
            for scope in sorted(scopes):
                if self._retry_at.get(scope, 0.0) > time.monotonic():
                    continue
                while not self._stop.is_set():
                    claim = self._next(scope, head)
                    if claim is None:
                        break
                    claimed += 1
                    if not self._process(claim):
                        break
            return claimed

    # --- the feed and the claims -----------------------------------------------------

    def _ensure_rows(self, scopes: set[str], head: int) -> None:
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

    def _next(self, scope: str, head: int) -> Claim | None:
        """The view's next range, claimed by this host; a range without arrivals is
        passed over (its seq moved on by compare-and-set, nothing to claim). None when
        the view is at the head or another host holds it."""
        now = _now_ms()
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
            return self._next(scope, head) if end < head else None
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

    def _renew(self, claim: Claim) -> bool:
        """Extend the lease; False when another host took the range over."""
        with self.store.engine.begin() as conn:
            kept = conn.execute(
                sa.update(xref_arrival)
                .where(xref_arrival.c.scope == claim.scope, xref_arrival.c.holder == self.host)
                .values(lease_until=_now_ms() + self.lease_ms)
            ).rowcount
        return bool(kept == 1)

    def _heartbeat(self, claim: Claim, done: threading.Event) -> None:
        """Renew the lease while the claim is resolved (a rebuild may take minutes)."""
        while not done.wait(self.lease_ms / 4000):
            try:
                if not self._renew(claim):
                    self._lost.set()
                    return
            except Exception:  # the database was away: the next beat tries again
                log.warning("renewing the claim on view %s failed", claim.scope)

    def _check(self, claim: Claim) -> None:
        if self._lost.is_set():
            raise LostClaim(claim.scope)

    def _release(self, claim: Claim, done: bool) -> bool:
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

    def _process(self, claim: Claim) -> bool:
        """Resolve a claimed range; False when the view is left for later."""
        self._lost.clear()
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(claim, done), daemon=True)
        beat.start()
        try:
            self._resolve(claim)
            self._check(claim)
        except LostClaim:
            log.warning("arrivals of view %s: the claim was taken over", claim.scope)
            self.resolvers.pop(claim.scope, None)
            return False
        except Exception:  # a failing view must not stop the others; it is rebuilt next time
            log.exception("resolving arrivals in view %s failed", claim.scope)
            self.resolvers.pop(claim.scope, None)
            self._retry_at[claim.scope] = time.monotonic() + RETRY_SECONDS
            self._release(claim, done=False)
            return False
        finally:
            done.set()
            beat.join()
        if not self._release(claim, done=True):  # the lease ran out meanwhile
            self.resolvers.pop(claim.scope, None)
            return False
        self._retry_at.pop(claim.scope, None)
        self.claimed = [*self.claimed[-999:], claim]
        return True

    # --- resolving -------------------------------------------------------------------

    def _resolve(self, claim: Claim) -> None:
        from palermo.match import incremental

        scope, viewer, ids = claim.scope, viewer_of(claim.scope), list(claim.ids)
        held = self.resolvers.get(scope)
        if held is not None and (
            held.cursor < claim.arrivals_seq or not self._current(scope, held)
        ):
            held = None  # another host resolved arrivals it lacks, or a batch, an undo
        if held is None or claim.overflow:
            self._rebuild(claim, len(ids))
            return
        for at in range(0, len(ids), BATCH):
            self._check(claim)
            chunk = ids[at : at + BATCH]
            # one audited read as the view's viewer; what it may not see is not among them
            found = self.store.entities(viewer, ids=chunk, limit=len(chunk))
            if any(e.schema in JUDGEMENT_SCHEMATA for e in found):
                self._rebuild(claim, len(ids))  # clustering must obey it
                return
            arrived = incremental.arrive(self.store, viewer, held.resolver, chunk, found)
            held.seq = _last_seq(self.store, scope)
            self.resolved += len(arrived)
        held.cursor = claim.end

    def _rebuild(self, claim: Claim, count: int) -> None:
        """The view's first arrival, or a rebuild: everything it may see, the arriving
        records included, with the persisted model and the stored ids."""
        from palermo.match import incremental

        self.resolvers.pop(claim.scope, None)
        saved = incremental.load_model(self.store, claim.scope)
        threshold = saved[1] if saved else 0.9
        viewer = viewer_of(claim.scope)
        resolver = incremental.run_batch(self.store, viewer, threshold, retrain=saved is None)
        self.resolvers[claim.scope] = _Held(
            resolver, resolver.version, _last_seq(self.store, claim.scope), claim.end
        )
        self.resolved += count

    def _current(self, scope: str, held: _Held) -> bool:
        """Whether the resolver still holds the view's truth (see the module's docstring)."""
        from palermo.match import incremental

        saved = incremental.model_version_of(self.store, scope)
        return saved in (None, held.version) and _last_seq(self.store, scope) == held.seq

    def _known_scopes(self) -> set[str]:
        """Every view someone on this node reads (an enabled user with a data role), and
        every view already resolved: a record may reach any of them."""
        data_roles = {r.value for r in DATA_ROLES}
        with self.store.engine.connect() as conn:
            out = {str(s) for (s,) in conn.execute(sa.select(xref_model.c.scope).distinct())}
            users = sa.select(app_user.c.agency_code, app_user.c.roles).where(
                app_user.c.disabled == sa.false()
            )
            for agency, roles in conn.execute(users):
                held = {r.strip() for r in str(roles).split(",")}
                if held & data_roles:
                    kind = "victim" if Role.VICTIM_SUPPORT.value in held else "plain"
                    out.add(f"{agency}|{kind}")
        return out


def _head(conn: Connection) -> int:
    """The newest committed audit seq: every audit row up to it is committed."""
    return int(conn.execute(sa.select(sa.func.max(audit_head.c.seq))).scalar() or 0)


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


def _last_seq(store: Store, scope: str) -> int:
    query = sa.select(sa.func.max(xref_ledger.c.seq)).where(xref_ledger.c.scope == scope)
    with store.engine.connect() as conn:
        value = conn.execute(query).scalar()
    return int(value or 0)


def start(store: Store, queue_max: int = QUEUE_MAX, poll: float = POLL_SECONDS) -> Arrivals:
    """Host resolvers for `store` in this process (idempotent: one host a store)."""
    with _registry_lock:
        running = _running.get(store)
        if running is None:
            running = _running[store] = Arrivals(store, queue_max, poll).start()
        return running


def stop(store: Store) -> None:
    with _registry_lock:
        running = _running.pop(store, None)
    if running is not None:
        running.stop()


def running(store: Store) -> Arrivals | None:
    return _running.get(store)


def announce(store: Store, agency: str, entity_ids: Iterable[str]) -> None:
    """The hook an import or a received batch calls after its commit: wake this process's
    host, if it runs one (the records are in the feed either way). Never raises: resolving
    is derived work and must not fail a write that has already committed."""
    registry = _running.get(store)
    if registry is not None:
        registry.poke()


def announce_received(store: Store, statements: Sequence[Mapping[str, Any]]) -> None:
    """`announce` for a received sync batch."""
    registry = _running.get(store)
    if registry is not None:
        registry.poke()
