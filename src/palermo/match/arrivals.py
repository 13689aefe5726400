"""Resolving records on arrival (issue 15): the serving process's resolvers, one per view.

An import or a received sync batch announces the entities it committed (`announce`, one
call after the commit); they go into a bounded queue and a background thread resolves
them against each affected view's identities (`incremental.arrive`), so the write path
only pays for putting ids in a set. Why a thread of its own and not the exchange worker:
the worker's round also syncs and scans alerts, and a resolver's first build (a batch
run) must not hold those up.

Views: every view that already has a persisted model (someone resolved it), every view an
enabled user of this node reads (agency, with or without victim details), and the writing
or receiving agency's. A
view's resolver is created lazily on its first arrival by `incremental.run_batch` with
the view's persisted model (trained if it has none), i.e. the first arrival of a view
resolves everything it may see and persists the ids; later arrivals are incremental.
Each record is read through the store as the view's viewer, so a view never links what
it may not see.

A resolver is rebuilt (lazily, on the next arrival) when what it holds is no longer the
truth: another model was persisted for the view (a batch resolve), the view's ledger got
an entry it did not write (an undo, a resolve through the API), or an arriving entity is
a judgement (an analyst's "same"/"not the same", which the resolver's clustering obeys).
When the queue is full, further ids are not queued; the views they would touch are marked
for a rebuild instead, which resolves them too: bounded memory, nothing lost.

Only a process that started the registry (`start`: `palermo serve`, tests) resolves on
arrival; in any other process (a CLI import) `announce` does nothing and the next batch
resolve, or the serving process's next rebuild, picks the records up.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from palermo.access.viewer import DATA_ROLES, Role, Viewer
from palermo.store.store import Store
from palermo.store.tables import app_user, node_self, xref_ledger, xref_model

log = logging.getLogger(__name__)

QUEUE_MAX = 50_000  # entity ids waiting; past this a rebuild is cheaper than the queue
BATCH = 500  # entity ids resolved per round (one read per view)
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


class Arrivals:
    """The queue, the resolvers per view and the thread that joins the two."""

    def __init__(self, store: Store, queue_max: int = QUEUE_MAX) -> None:
        self.store = store
        self.queue_max = queue_max
        self.inbox: set[str] = set()  # entity ids announced, not yet given to views
        self.inbox_agencies: set[str] = set()
        self.overflowed = False
        self.pending: dict[str, set[str]] = {}  # scope -> entity ids
        self.stale: set[str] = set()  # views to rebuild on their next round
        self.resolvers: dict[str, _Held] = {}
        self.resolved = 0  # records resolved on arrival (a metric and for tests)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="palermo-arrivals", daemon=True)

    def start(self) -> Arrivals:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def submit(self, entity_ids: Iterable[str], agencies: Iterable[str]) -> None:
        """Queue entities for the views they may touch; never blocks on resolving, and
        does no database work (the thread decides which views they go to)."""
        ids = {i for i in entity_ids if i}
        if not ids:
            return
        with self._lock:
            if len(self.inbox) + len(ids) > self.queue_max:
                self.overflowed = True  # every view is rebuilt: that resolves them all
                self.inbox.clear()
            else:
                self.inbox |= ids
            self.inbox_agencies.update(agencies)
            self._idle.clear()
        self._wake.set()

    def _sort_inbox(self) -> None:
        """Hand the queued entities to the views they may touch (in the thread)."""
        with self._lock:
            ids, agencies, overflowed = self.inbox, self.inbox_agencies, self.overflowed
            self.inbox, self.inbox_agencies, self.overflowed = set(), set(), False
        if not ids and not overflowed:
            return
        scopes = self._known_scopes() | {f"{a}|plain" for a in agencies}
        with self._lock:
            for scope in scopes:
                queued = self.pending.setdefault(scope, set())
                if overflowed or len(queued) + len(ids) > self.queue_max:
                    self.stale.add(scope)
                    queued.clear()
                else:
                    queued |= ids

    def wait(self, timeout: float = 60.0) -> bool:
        """Until every queued entity is resolved (tests, shutdown); False on time-out."""
        return self._idle.wait(timeout)

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

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(5.0)
            self._wake.clear()
            while not self._stop.is_set() and self._round():
                pass

    def _round(self) -> bool:
        """Resolve one batch of one view; False when nothing is left."""
        self._sort_inbox()
        with self._lock:
            scope = next(iter(sorted(set(self.pending) | self.stale)), None)
            if scope is None and (self.inbox or self.overflowed):
                return True  # arrived meanwhile: sort them first
            if scope is None:
                self._idle.set()
                return False
            rebuild = scope in self.stale
            queued = self.pending.get(scope, set())
            ids = sorted(queued)[:BATCH]
            queued.difference_update(ids)
            if not queued:
                self.pending.pop(scope, None)
            self.stale.discard(scope)
        try:
            self._resolve(scope, ids, rebuild)
        except Exception:  # a failing view must not stop the others; it is rebuilt next time
            log.exception("resolving arrivals in view %s failed", scope)
            self.resolvers.pop(scope, None)
        return True

    def _resolve(self, scope: str, ids: list[str], rebuild: bool) -> None:
        from palermo.match import incremental

        viewer = viewer_of(scope)
        held = None if rebuild else self.resolvers.get(scope)
        if held is not None and not self._current(scope, held):
            held = None
        if held is None:
            self.resolvers.pop(scope, None)
            saved = incremental.load_model(self.store, scope)
            threshold = saved[1] if saved else 0.9
            # the view's first arrival (or a rebuild): everything it may see, the
            # arriving records included, with the persisted model and the stored ids
            resolver = incremental.run_batch(self.store, viewer, threshold, retrain=saved is None)
            self.resolvers[scope] = _Held(resolver, resolver.version, _last_seq(self.store, scope))
            self.resolved += len(ids)
            return
        # one audited read as the view's viewer; what it may not see is not among them
        found = self.store.entities(viewer, ids=ids, limit=len(ids)) if ids else []
        if any(e.schema in JUDGEMENT_SCHEMATA for e in found):
            with self._lock:
                self.stale.add(scope)  # clustering must obey it: rebuild
            return
        arrived = incremental.arrive(self.store, viewer, held.resolver, ids, found)
        held.seq = _last_seq(self.store, scope)
        self.resolved += len(arrived)

    def _current(self, scope: str, held: _Held) -> bool:
        """Whether the resolver still holds the view's truth (see the module's docstring)."""
        from palermo.match import incremental

        saved = incremental.model_version_of(self.store, scope)
        return saved in (None, held.version) and _last_seq(self.store, scope) == held.seq


def _last_seq(store: Store, scope: str) -> int:
    query = sa.select(sa.func.max(xref_ledger.c.seq)).where(xref_ledger.c.scope == scope)
    with store.engine.connect() as conn:
        value = conn.execute(query).scalar()
    return int(value or 0)


def start(store: Store, queue_max: int = QUEUE_MAX) -> Arrivals:
    """Resolve arrivals for `store` in this process (idempotent: one registry a store)."""
    with _registry_lock:
        running = _running.get(store)
        if running is None:
            running = _running[store] = Arrivals(store, queue_max).start()
        return running


def stop(store: Store) -> None:
    with _registry_lock:
        running = _running.pop(store, None)
    if running is not None:
        running.stop()


def running(store: Store) -> Arrivals | None:
    return _running.get(store)


def announce(store: Store, agency: str, entity_ids: Iterable[str]) -> None:
    """The hook an import or a received batch calls after its commit: the committed
    entities go to this process's resolvers, if it runs any. Never raises: resolving is
    derived work and must not fail a write that has already committed."""
    registry = _running.get(store)
    if registry is None:
        return
    try:
        registry.submit(entity_ids, [agency])
    except Exception:
        log.exception("queueing arrivals failed; the next rebuild resolves them")


def announce_received(store: Store, statements: Sequence[Mapping[str, Any]]) -> None:
    """`announce` for a received sync batch (wire statements): the entities go to the
    views of this node's agency and to every view already resolved."""
    registry = _running.get(store)
    if registry is None:
        return
    try:
        with store.engine.connect() as conn:
            agencies = [str(a) for (a,) in conn.execute(sa.select(node_self.c.agency_code))]
        registry.submit((str(s.get("entity_id") or "") for s in statements), agencies)
    except Exception:
        log.exception("queueing received arrivals failed; the next rebuild resolves them")
