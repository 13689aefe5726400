"""Stable identity ids and the merge ledger: what resolution did to identities, undoable.

The resolver (`match.xref`) returns clusters; their ids (`Resolution.identity_of`) are a
hash of the members, so an identity gained a record and got a new id - a bookmark, a case
note or a colleague's "look at identity X" broke on every rerun. Here each view (`scope`:
agency and victim-support, the same key as the analysis caches) keeps a persisted table
record -> identity (`xref_identity`), and a rerun keeps, for every old identity, its id on
the new cluster that holds most of its records (`assign_ids`, ADR 0015).

Every change of identities is a ledger entry (`xref_ledger`): a merge (records of two or
more identities now one) or a split (one identity's records now in two or more), with who
or what caused it (an analyst, "model" for a batch or incremental run), when, the links
that were the evidence, the model version, and the identities before and after. Undo
restores the identities as they were before the entry and writes analysts' judgements
(statements, `match.resolution.judge`: reject for an undone merge, confirm for an undone
split) so that the next run, batch or incremental, does not redo what was undone; the
judgements stay the statements they are today and the ledger records the change.

The tables are node-private derived data: nothing here is synced, and a view's rows only
ever hold records that view was resolved over (read through the store as the viewer).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.access.viewer import Viewer
from palermo.match import ledger_pairs
from palermo.match.arrival_claim import lock_view
from palermo.match.xref import CONFIRM, REJECT, Link
from palermo.model.statement import utcnow
from palermo.store.store import Store
from palermo.store.tables import xref_identity, xref_ledger, xref_model, xref_pair

MERGE, SPLIT, UNDO = "merge", "split", "undo"
MODEL_ACTOR = "model"
ID_PREFIX = "idn-"
EVIDENCE_MAX = 20  # links kept per entry: enough to explain and undo, bounded for big merges
Groups = dict[str, list[str]]  # identity id -> its record ids (sorted)


def scope_of(viewer: Viewer) -> str:
    """The view a viewer's identities belong to: what it may see depends on its agency and
    on whether it sees victim details (as `store.viewer_cache`)."""
    return f"{viewer.agency}|{'victim' if viewer.sees_victim_details else 'plain'}"


def actor_of(viewer: Viewer) -> str:
    return f"{viewer.username}@{viewer.agency}"


# --- stable ids -----------------------------------------------------------------------


def assign_ids(clusters: Iterable[Sequence[str]], previous: Mapping[str, str]) -> dict[str, str]:
    """record id -> identity id for `clusters`, keeping the ids of `previous`.

    Each old identity's id goes to the new cluster holding most of its records (ties: the
    cluster whose smallest record id sorts first); a cluster claimed by several old
    identities keeps the one it holds most records of (ties: the smaller id). A cluster
    with no old id gets a new one from its smallest record id, never one in use or used
    before. The same clusters and the same `previous` always give the same ids."""
    groups = [sorted(c) for c in clusters if c]
    claims: list[tuple[int, str, str, int]] = []
    for index, members in enumerate(groups):
        counts = Counter(previous[m] for m in members if m in previous)
        claims.extend((-n, old, members[0], index) for old, n in counts.items())
    claims.sort()
    named: dict[int, str] = {}
    taken: set[str] = set()
    for _, old, _, index in claims:
        if old not in taken and index not in named:
            named[index] = old
            taken.add(old)
    used = set(previous.values())
    out: dict[str, str] = {}
    for index, members in enumerate(groups):
        identity = named.get(index) or _mint(members[0], used)
        used.add(identity)
        for member in members:
            out[member] = identity
    return out


def _mint(seed: str, used: set[str]) -> str:
    salt = 0
    while True:
        text = seed if salt == 0 else f"{seed}#{salt}"
        candidate = ID_PREFIX + hashlib.sha1(text.encode()).hexdigest()[:16]
        if candidate not in used:
            return candidate
        salt += 1


def groups_of(membership: Mapping[str, str]) -> Groups:
    out: dict[str, list[str]] = {}
    for record, identity in membership.items():
        out.setdefault(identity, []).append(record)
    return {k: sorted(v) for k, v in sorted(out.items())}


# --- what changed ---------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One merge or split between two memberships."""

    action: str  # MERGE or SPLIT
    before: Groups  # the identities involved, as they were
    after: Groups  # ... and as they are
    evidence: tuple[dict[str, Any], ...] = ()


def changes(
    previous: Mapping[str, str], current: Mapping[str, str], links: Iterable[Link] = ()
) -> list[Change]:
    """The merges and splits that turn `previous` into `current` (record -> identity).

    A record new in `current` merges nothing by arriving alone; it is a merge when it
    joins records of two identities. A record gone from `current` (no longer visible,
    retracted) splits nothing. `links` explain the changes: those between records that
    were apart before and are together now (merge) or the other way round (split)."""
    old_groups, new_groups = groups_of(previous), groups_of(current)
    by_pair = _link_index(links)
    out: list[Change] = []
    for identity, members in new_groups.items():
        sources = sorted({previous[m] for m in members if m in previous})
        if len(sources) >= 2:
            before = {s: old_groups[s] for s in sources}
            arrived = sorted(m for m in members if m not in previous)
            # the links that joined them, the arriving records' included
            evidence = _between({**before, "": arrived} if arrived else before, by_pair)
            out.append(Change(MERGE, before, {identity: members}, evidence))
    for identity, members in old_groups.items():
        kept = [m for m in members if m in current]
        targets = sorted({current[m] for m in kept})
        if len(targets) >= 2:
            after = {t: sorted(m for m in kept if current[m] == t) for t in targets}
            out.append(Change(SPLIT, {identity: members}, after, _between(after, by_pair)))
    return out


def _link_index(links: Iterable[Link]) -> dict[tuple[str, str], Link]:
    return {(min(lk.left, lk.right), max(lk.left, lk.right)): lk for lk in links}


def _between(groups: Groups, links: Mapping[tuple[str, str], Link]) -> tuple[dict[str, Any], ...]:
    """The links that join two of `groups` (at most EVIDENCE_MAX, strongest first)."""
    where = {m: g for g, members in groups.items() for m in members}
    found = [
        lk for (a, b), lk in links.items() if a in where and b in where and where[a] != where[b]
    ]
    found.sort(key=lambda lk: (-lk.probability, lk.left, lk.right))
    return tuple(evidence_of(lk) for lk in found[:EVIDENCE_MAX])


def evidence_of(link: Link) -> dict[str, Any]:
    out: dict[str, Any] = {
        "left": link.left,
        "right": link.right,
        "probability": round(link.probability, 6),
    }
    if link.evidence:
        out["identifier"] = link.evidence
    if link.judged:
        out["judged"] = link.judged
    if link.weights:
        out["weights"] = {k: round(v, 3) for k, v in sorted(link.weights.items())}
    return out


# --- the persisted table and ledger ---------------------------------------------------


@dataclass(frozen=True)
class Entry:
    seq: int
    scope: str
    at: Any
    actor: str
    action: str
    before: Groups
    after: Groups
    evidence: tuple[dict[str, Any], ...]
    model_version: str
    undoes: int | None
    undone_by: int | None


def membership(store: Store, scope: str) -> dict[str, str]:
    """The view's persisted record -> identity table."""
    query = sa.select(xref_identity.c.record_id, xref_identity.c.identity_id).where(
        xref_identity.c.scope == scope
    )
    with store.engine.connect() as conn:
        return {r: i for r, i in conn.execute(query)}


def visible_membership(store: Store, viewer: Viewer) -> dict[str, str] | None:
    """The viewer's view's record -> identity table, holding only the Person records the
    viewer may read now: the store's visibility rule is part of the query (ADR 0002), so
    an identity never carries a record whose sharing has narrowed since it was resolved,
    and an identity that lost a record is split at once into the parts the view's joining
    links among the records left still hold together (`ledger_pairs.split_hidden`, ADR
    0046): two records joined only through one the viewer no longer reads come apart.
    None when the view has no ledger yet (never resolved: no model, no identities).

    The query returns no record id the viewer may not read (ADR 0046, amendments): the
    readable members, the ids of their identities that lost a record (a stored member not
    readable, or a joining link to a record the readable members do not hold), and the
    joining links inside one identity between readable members - all that `split_hidden`
    needs. A view resolved before its links were kept (migration 0019) gets the links of
    an identity that lost a record computed once, here (`ledger_backfill`)."""
    from palermo.match import ledger_backfill  # scores with the persisted model

    scope = scope_of(viewer)
    resolved = sa.select(
        sa.exists().where(xref_identity.c.scope == scope)
        | sa.exists().where(xref_model.c.scope == scope)
    )
    with store.engine.connect() as conn:
        if not conn.execute(resolved).scalar():
            return None
        shown, lost, edges, bare = _readable_part(conn, scope, viewer)
    if bare and ledger_backfill.backfill(store, viewer, sorted(bare)):
        with store.engine.connect() as conn:
            shown, lost, edges, bare = _readable_part(conn, scope, viewer)
    return ledger_pairs.split_hidden(shown, lost, edges)


MEMBER, LOSING, LOST, EDGE = "m", "g", "l", "e"


def _readable_part(
    conn: Connection, scope: str, viewer: Viewer
) -> tuple[dict[str, str], set[str], list[ledger_pairs.Key], set[str]]:
    """One statement, the visibility rule evaluated once (a CTE the rest probes as a hashed
    set, never joined, so the plan does not hang on row estimates): the readable members
    (record -> identity, each marked when its identity has a member not readable), the
    identities with a joining link from a readable member to a record the readable members
    do not hold, and the joining links between readable members of one identity. Then,
    for identities that lost a member, which of them have no stored pair touching their
    readable members (resolved before 0019: `bare`)."""
    table, pair = xref_identity, xref_pair
    readable = sa.select(ledger_pairs.readable_persons(viewer).c.entity_id).cte("palermo_readable")
    ids = sa.select(readable.c.entity_id)
    stored = table.alias("palermo_stored")
    losing_ids = sa.select(stored.c.identity_id).where(
        stored.c.scope == scope, stored.c.record_id.not_in(ids)
    )
    flagged = (
        sa.select(
            table.c.record_id,
            table.c.identity_id,
            table.c.record_id.in_(ids).label("ok"),
            table.c.identity_id.in_(losing_ids).label("gone"),
        )
        .where(table.c.scope == scope)
        .offset(0)  # a fence: the flags are filtered on after they are computed, never joined
        .subquery()
    )
    members = sa.select(
        sa.case((flagged.c.gone, LOSING), else_=MEMBER).label("kind"),
        flagged.c.record_id,
        flagged.c.identity_id,
    ).where(flagged.c.ok)
    left, right = table.alias("palermo_left"), table.alias("palermo_right")
    ends = (
        sa.select(
            pair.c.left_id,
            pair.c.right_id,
            left.c.identity_id.label("ia"),
            right.c.identity_id.label("ib"),
            sa.and_(left.c.record_id.is_not(None), pair.c.left_id.in_(ids)).label("ha"),
            sa.and_(right.c.record_id.is_not(None), pair.c.right_id.in_(ids)).label("hb"),
        )
        .select_from(
            pair.outerjoin(
                left, sa.and_(left.c.scope == scope, left.c.record_id == pair.c.left_id)
            ).outerjoin(
                right, sa.and_(right.c.scope == scope, right.c.record_id == pair.c.right_id)
            )
        )
        .where(pair.c.scope == scope, pair.c.joins.is_(True))
        .offset(0)
        .subquery()
    )
    edge = sa.and_(ends.c.ha, ends.c.hb, ends.c.ia == ends.c.ib)
    outward = ends.c.ha != ends.c.hb
    # one pass over the joining links: a link inside an identity between readable members
    # (both ids), or the identity of the readable end of a link leaving the readable part
    links = sa.select(
        sa.case((edge, EDGE), else_=LOST),
        sa.case((edge, ends.c.left_id), (ends.c.ha, ends.c.ia), else_=ends.c.ib),
        sa.case((edge, ends.c.right_id), else_=sa.null()),
    ).where(sa.or_(edge, outward))
    shown: dict[str, str] = {}
    lost: set[str] = set()
    losing: set[str] = set()
    edges: list[ledger_pairs.Key] = []
    for kind, a, b in conn.execute(sa.union_all(members, links)):
        if kind in (MEMBER, LOSING):
            shown[str(a)] = str(b)
            if kind == LOSING:
                losing.add(str(b))
        elif kind == LOST:
            lost.add(str(a))
        else:
            edges.append((str(a), str(b)))
    return shown, lost | losing, edges, _bare(conn, scope, shown, losing)


def _bare(conn: Connection, scope: str, shown: Mapping[str, str], losing: set[str]) -> set[str]:
    """Those of `losing` (identities with a member not readable) with two or more readable
    members and no stored pair touching any of them: resolved before migration 0019. Only
    readable ids are sent and returned."""
    members = sorted(r for r, i in shown.items() if i in losing)
    paired: set[str] = set()
    for chunk in _chunks(members):
        for end in (xref_pair.c.left_id, xref_pair.c.right_id):  # one index each
            query = sa.select(end).where(xref_pair.c.scope == scope, end.in_(chunk)).distinct()
            paired.update(str(r) for r in conn.execute(query).scalars())
    count = Counter(shown[r] for r in members)
    with_pairs = {shown[r] for r in paired}
    return {i for i, n in count.items() if n >= 2 and i not in with_pairs}


def identity_of(store: Store, scope: str, record_id: str) -> str | None:
    """The identity a record belongs to in the view, if it was resolved there."""
    query = sa.select(xref_identity.c.identity_id).where(
        xref_identity.c.scope == scope, xref_identity.c.record_id == record_id
    )
    with store.engine.connect() as conn:
        value = conn.execute(query).scalar()
    return None if value is None else str(value)


def members(store: Store, scope: str, identity: str) -> list[str]:
    """The record ids of one identity of the view, sorted."""
    query = sa.select(xref_identity.c.record_id).where(
        xref_identity.c.scope == scope, xref_identity.c.identity_id == identity
    )
    with store.engine.connect() as conn:
        return sorted(str(r) for (r,) in conn.execute(query))


MembershipReader = Callable[[Connection, str, Mapping[str, str]], dict[str, str]]


def whole_view(conn: Connection, scope: str, current: Mapping[str, str]) -> dict[str, str]:
    """The view's whole stored table (a batch run compares everything it resolved)."""
    return _membership(conn, scope)


def involved(conn: Connection, scope: str, changed: Mapping[str, str]) -> dict[str, str]:
    """Only the identities a change involves (the records' old identities and the ones
    they join, whole): what changed between them is all a merge can be, and the cost
    stays that of the identities touched, whatever the size of the view (an arrival)."""
    table = xref_identity
    found: set[str] = set(changed.values())
    for chunk in _chunks(sorted(changed)):
        query = sa.select(table.c.identity_id).where(
            table.c.scope == scope, table.c.record_id.in_(chunk)
        )
        found.update(str(i) for (i,) in conn.execute(query))
    previous: dict[str, str] = {}
    for chunk in _chunks(sorted(found)):
        query = sa.select(table.c.record_id, table.c.identity_id).where(
            table.c.scope == scope, table.c.identity_id.in_(chunk)
        )
        previous.update({str(r): str(i) for r, i in conn.execute(query)})
    return previous


def record(
    store: Store,
    scope: str,
    current: Mapping[str, str],
    actor: str = MODEL_ACTOR,
    model_version: str = "",
    links: Iterable[Link] = (),
    replace: bool = True,
    read: MembershipReader = whole_view,
    pairs: ledger_pairs.Update | None = None,
    judged_through: int | None = None,
) -> list[int]:
    """Store `current` (record -> identity) as the view's table and a ledger entry for
    every merge and split since the stored one, in one transaction; returns the entries'
    seqs. `replace=False` updates only the records named in `current` (an arrival) and
    leaves the others as they are. `read` says which stored rows the change is compared
    with: the whole view (`whole_view`), or only the identities it involves (`involved`,
    for an arrival; it cannot replace the view, so it needs `replace=False`). One
    function for both, so a batch run and an arrival write back the same way. `pairs`,
    the links the resolver scored, are stored with the identities they made
    (`ledger_pairs`, ADR 0046): the review queue and the splits read them.
    `judged_through`: the view's last ledger seq when the resolver read its judgements; if an
    analyst has written an entry since (an undo, with the judgements it adds), the result
    rests on stale judgements and `StaleResolution` is raised instead of overwriting it."""
    if replace and read is not whole_view:
        raise ValueError("replace: only a reader of the whole view can replace it")
    with _writing(store) as conn:
        lock_view(conn, scope)  # one writer of the view's ledger at a time (ADR 0033)
        if judged_through is not None and _analyst_entry_since(conn, scope, judged_through):
            raise StaleResolution(scope)
        previous = read(conn, scope, current)
        merged = dict(current) if replace else {**previous, **current}
        entries = changes(previous, merged, links)
        _store_membership(conn, scope, previous, merged)
        if pairs is not None:
            ledger_pairs.write(conn, scope, pairs, model_version)
        return [_append(conn, scope, actor, change, model_version) for change in entries]


class StaleResolution(RuntimeError):
    """An analyst changed the view's ledger while a resolution was computed from the
    judgements read before: its result must not overwrite the analyst's entry."""


def head_seq(store: Store, scope: str) -> int:
    """The view's last ledger seq (0 when it has none): read before the judgements a
    resolution uses, and passed to `record` as `judged_through`."""
    query = sa.select(sa.func.max(xref_ledger.c.seq)).where(xref_ledger.c.scope == scope)
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def _analyst_entry_since(conn: Connection, scope: str, seq: int) -> bool:
    query = sa.select(
        sa.exists().where(
            xref_ledger.c.scope == scope,
            xref_ledger.c.seq > seq,
            xref_ledger.c.actor != MODEL_ACTOR,
        )
    )
    return bool(conn.execute(query).scalar())


@contextmanager
def _writing(store: Store) -> Iterator[Connection]:
    """One ledger transaction, after whose commit the store's write listeners run (and, on
    PostgreSQL, every other process of the node is told): identities are what the link
    graph, brokers and risk scores are built on (`analysis.ledger_identities`), so the
    workspaces and indexes built on the old ones must go, as after any write."""
    with store.transaction() as conn:
        yield conn
        conn.info.setdefault("palermo_after_commit", []).extend(store.write_listeners)


def forget(store: Store, scope: str, record_ids: Iterable[str]) -> None:
    """Drop records from the view's table (no longer visible, or no longer a person with
    a name): their identities keep the other records; no ledger entry (nothing merged or
    split)."""
    ids = sorted(set(record_ids))
    with _writing(store) as conn:
        for chunk in _chunks(ids):
            conn.execute(
                xref_identity.delete().where(
                    xref_identity.c.scope == scope, xref_identity.c.record_id.in_(chunk)
                )
            )


def _membership(conn: Connection, scope: str) -> dict[str, str]:
    query = sa.select(xref_identity.c.record_id, xref_identity.c.identity_id).where(
        xref_identity.c.scope == scope
    )
    return {r: i for r, i in conn.execute(query)}


def _store_membership(
    conn: Connection, scope: str, previous: Mapping[str, str], current: Mapping[str, str]
) -> None:
    """Write only the difference: a rerun that changes a few identities of a million
    records touches a few rows."""
    gone = [r for r in previous if r not in current]
    changed = [r for r, i in current.items() if previous.get(r) != i]
    table = xref_identity
    for chunk in _chunks(gone + [r for r in changed if r in previous]):
        conn.execute(table.delete().where(table.c.scope == scope, table.c.record_id.in_(chunk)))
    rows = [{"scope": scope, "record_id": r, "identity_id": current[r]} for r in changed]
    for chunk in _chunks(rows):
        conn.execute(table.insert(), chunk)


def _chunks(items: Sequence[Any], size: int = 5000) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _append(
    conn: Connection,
    scope: str,
    actor: str,
    change: Change,
    model_version: str,
    undoes: int | None = None,
) -> int:
    result = conn.execute(
        xref_ledger.insert().values(
            scope=scope,
            at=utcnow(),
            actor=actor,
            action=change.action,
            before=json.dumps(change.before, sort_keys=True),
            after=json.dumps(change.after, sort_keys=True),
            evidence=json.dumps(list(change.evidence), sort_keys=True),
            model_version=model_version,
            undoes=undoes,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def entries(store: Store, scope: str, limit: int = 1000, offset: int = 0) -> list[Entry]:
    """The view's ledger, newest first (`offset` entries skipped: a page)."""
    query = (
        sa.select(xref_ledger)
        .where(xref_ledger.c.scope == scope)
        .order_by(xref_ledger.c.seq.desc())
        .limit(limit)
        .offset(offset)
    )
    with store.engine.connect() as conn:
        return [_entry(dict(row._mapping)) for row in conn.execute(query)]


def count(store: Store, scope: str) -> int:
    """How many entries the view's ledger holds (for paging)."""
    query = sa.select(sa.func.count()).select_from(xref_ledger).where(xref_ledger.c.scope == scope)
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def entry(store: Store, scope: str, seq: int) -> Entry | None:
    """One entry of the view's ledger (None if the view has no such entry)."""
    query = sa.select(xref_ledger).where(xref_ledger.c.scope == scope, xref_ledger.c.seq == seq)
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    return _entry(dict(row._mapping)) if row is not None else None


def _entry(row: Mapping[str, Any]) -> Entry:
    return Entry(
        int(row["seq"]),
        str(row["scope"]),
        row["at"],
        str(row["actor"]),
        str(row["action"]),
        json.loads(row["before"]),
        json.loads(row["after"]),
        tuple(json.loads(row["evidence"])),
        str(row["model_version"]),
        row["undoes"],
        row["undone_by"],
    )


def undo(store: Store, viewer: Viewer, seq: int, reason: str = "") -> Entry:
    """Undo the viewer's view's merge or split `seq`: the records of every identity it
    changed go back to the identities (and ids) they had before it, and a judgement per
    evidence pair (reject for a merge, confirm for a split; `resolution.judge`, so the
    viewer must see both records) keeps the next run from redoing it. Returns the undo
    entry. An entry already undone, an undo, or another view's entry is refused."""
    from palermo.match.resolution import judge  # resolution imports the store's writers

    viewer.require_data_role("undo identity changes")
    scope = scope_of(viewer)
    found = entry(store, scope, seq)
    if found is None:
        raise ValueError(f"seq: no ledger entry {seq} in your view")
    if found.action == UNDO:
        raise ValueError(f"seq: entry {seq} is an undo; undo the entry it undid instead")
    if found.undone_by is not None:
        raise ValueError(f"seq: entry {seq} was already undone by entry {found.undone_by}")
    verdict = REJECT if found.action == MERGE else CONFIRM
    note = f"undo of ledger entry {seq} ({found.action})" + (f": {reason}" if reason else "")
    for left, right in pairs_to_judge(found):
        judge(store, viewer, left, right, verdict, note)
    with _writing(store) as conn:
        lock_view(conn, scope)
        current = _membership(conn, scope)
        restored = dict(current)
        for identity, members in found.before.items():
            for member in members:
                if member in restored:
                    restored[member] = identity
        touched = {i for i in found.after} | {i for i in found.before}
        now = {i: sorted(r for r, x in current.items() if x == i) for i in sorted(touched)}
        after = {i: sorted(r for r, x in restored.items() if x == i) for i in sorted(touched)}
        _store_membership(conn, scope, current, restored)
        change = Change(
            UNDO,
            {k: v for k, v in now.items() if v},
            {k: v for k, v in after.items() if v},
            tuple({"left": a, "right": b, "judged": verdict} for a, b in pairs_to_judge(found)),
        )
        undo_seq = _append(conn, scope, actor_of(viewer), change, found.model_version, seq)
        conn.execute(
            xref_ledger.update().where(xref_ledger.c.seq == seq).values(undone_by=undo_seq)
        )
    store.audit_event(viewer, "xref.undo", str(seq), {"undo": undo_seq, "action": found.action})
    done = entry(store, scope, undo_seq)
    assert done is not None
    return done


def pairs_to_judge(entry: Entry) -> list[tuple[str, str]]:
    """The record pairs whose judgement keeps an undo in force: the entry's evidence links
    between two of the groups it restores, or, without such a link (the merge went
    through an arriving record), the smallest record of each group paired with the
    first group's."""
    groups = entry.before if entry.action == MERGE else entry.after
    where = {m: g for g, members in groups.items() for m in members}
    pairs = [
        (a, b)
        for e in entry.evidence
        if (a := str(e.get("left"))) in where
        and (b := str(e.get("right"))) in where
        and where[a] != where[b]
    ]
    if pairs:
        return sorted({(min(a, b), max(a, b)) for a, b in pairs})
    heads = sorted(members[0] for members in groups.values() if members)
    return [(heads[0], other) for other in heads[1:]]
