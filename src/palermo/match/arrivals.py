"""Resolving records on arrival (issue 15): the node's resolvers, one per view.

Why this module exists: a record written anywhere on the node (a `palermo serve` worker, a
CLI import into the node's database, a received sync batch) must reach the identities of
every view that may see it without waiting for a batch run. This module is the resolver
host that does that: which views there are, one resolver per view kept in memory, when a
resolver no longer holds the view's truth and is rebuilt, and the thread that polls. Which
host resolves which range of the arrival feed, and the feed itself (the audit log), is the
claim protocol of `match.arrival_claim` (ADR 0033, migration 0018); this module only asks
it for the next claimed range of a view and hands it back resolved or not.

A resolver host (`start`: the supervising process of `palermo serve`, tests) polls every
POLL_SECONDS, and at once when a write commits in its own process or, on PostgreSQL, when
another process's write is announced by the change feed (`Store.write_listeners`). A
resolver holds the view as of the end of the last range it resolved; when the view's feed
row says another host resolved a later range with arrivals, the resolver is out of step
and is rebuilt.

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

import logging
import threading
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from palermo.access.viewer import DATA_ROLES, Role, Viewer
from palermo.match.arrival_claim import LEASE_SECONDS, Claim, Feed, Lease, LostClaim
from palermo.store.store import Store
from palermo.store.tables import app_user, xref_ledger, xref_model

log = logging.getLogger(__name__)

QUEUE_MAX = 50_000  # entities of one range; past this a rebuild is cheaper than arrivals
BATCH = 500  # entity ids resolved per read (one read per view)
POLL_SECONDS = 1.0  # the feed is read at least this often (other processes' writes)
RETRY_SECONDS = 30.0  # a view whose resolution failed is tried again after this
JUDGEMENT_SCHEMATA = frozenset({"MatchJudgement"})
RESOLVER_USER = "resolver"

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


class Arrivals:
    """One resolver host: the resolvers per view and their thread, fed by its `Feed`."""

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
        self.feed = Feed(store, queue_max, lease)
        self.resolvers: dict[str, _Held] = {}
        self.resolved = 0  # records resolved on arrival (a metric and for tests)
        self.claimed: list[Claim] = []  # the last ranges this host resolved (tests, debugging)
        self._retry_at: dict[str, float] = {}
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
        head = self.feed.head()
        self.feed.ensure_rows(self._known_scopes(), head)

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
        target = self.feed.head()
        deadline = time.monotonic() + timeout
        while True:
            self.poke()
            if self.feed.caught_up(self._known_scopes(), target):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def arrived(self, start: int, end: int) -> tuple[list[str], bool]:
        """The entities written in (start, end] (`arrival_claim.Feed.arrived`)."""
        return self.feed.arrived(start, end)

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
            head = self.feed.head()
            scopes = self._known_scopes()
            self.feed.ensure_rows(scopes, head)
            self.feed.new_poll()
            claimed = 0
            for scope in sorted(scopes):
                if self._retry_at.get(scope, 0.0) > time.monotonic():
                    continue
                while not self._stop.is_set():
                    claim = self.feed.next(scope, head)
                    if claim is None:
                        break
                    claimed += 1
                    if not self._process(claim):
                        break
            return claimed

    def _process(self, claim: Claim) -> bool:
        """Resolve a claimed range; False when the view is left for later."""
        lease = self.feed.hold(claim)
        try:
            self._resolve(claim, lease)
            lease.check()
        except LostClaim:
            log.warning("arrivals of view %s: the claim was taken over", claim.scope)
            self.resolvers.pop(claim.scope, None)
            return False
        except Exception:  # a failing view must not stop the others; it is rebuilt next time
            log.exception("resolving arrivals in view %s failed", claim.scope)
            self.resolvers.pop(claim.scope, None)
            self._retry_at[claim.scope] = time.monotonic() + RETRY_SECONDS
            self.feed.release(claim, done=False)
            return False
        finally:
            lease.end()
        if not self.feed.release(claim, done=True):  # the lease ran out meanwhile
            self.resolvers.pop(claim.scope, None)
            return False
        self._retry_at.pop(claim.scope, None)
        self.claimed = [*self.claimed[-999:], claim]
        return True

    # --- resolving -------------------------------------------------------------------

    def _resolve(self, claim: Claim, lease: Lease) -> None:
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
            lease.check()
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
        threshold = saved[1] if saved else incremental.XREF_THRESHOLD
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
