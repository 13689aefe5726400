"""Hit notices: the owner of a record is told when another agency's search hits it.

Europol's EIS and Prüm II tell the data owner when someone's query hits its data, so that
the owner can follow up (call the searcher, add context, ask for the case). Here every hit
path - screening (documents, persons, manifests), search (API and page), deconfliction,
cross-referencing (through :func:`notify_ids`) and the name-free pre-check - calls
:func:`notify` in the request that found the hit, so the owner's notice is written before
the searcher has its answer (well within a second; no queue to wait on).

A notice names the searching *agency* (never the user: the user is in the audit log, which
the node's auditors read), the channel, the stated purpose, and the owner's own record id.
It opens a follow-up item: a deadline (48 hours by default, per agency in
``hit_notice_setting``), reminders from :func:`sweep` (the node's worker, or
``palermo hits sweep``) once it is overdue and every day after while unanswered, and a
reply that the searcher reads in :func:`sent`.

What nobody else learns: notices are node-private rows, not statements, so they are never
synced, searched, exported or listed by an entity API; :func:`received` selects
``owner_agency = viewer's agency`` and :func:`sent` ``searcher_agency = viewer's agency``
in the query, so a third agency reads nothing of either. The searcher's view shows the
record id only for channels where the searcher saw the record in its own results
(screening, search, cross-referencing): for deconfliction the record is the owner's case,
which the other side must never learn. An agency's hits on its own records notify no one.
Flooding is bounded: one notice per (searching agency, record, UTC day); later hits that
day count up ``hits`` and ``last_hit_at`` (and are audited as repeats).
"""

from __future__ import annotations

import json
import threading
import unicodedata
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from palermo.access.viewer import NotVisible, Viewer
from palermo.coordination import node_messages, notice_directory
from palermo.coordination.notice_directory import Directory
from palermo.store import audit
from palermo.store.group_write import GroupWrite
from palermo.store.store import Store
from palermo.store.tables import (
    agency,
    hit_notice,
    hit_notice_outbox,
    hit_notice_setting,
    node_self,
    peer,
    statement,
)

CHANNELS = ("screening", "search", "xref", "deconfliction", "precheck")
# Channels where the searcher saw the hit record itself, so its follow-up may name it.
SEEN_BY_SEARCHER = frozenset({"screening", "search", "xref"})
DEFAULT_DEADLINE_HOURS = 48  # Prüm II's follow-up period
MAX_DEADLINE_HOURS = 24 * 30
REMIND_EVERY = timedelta(hours=24)  # an overdue, unanswered notice is re-notified daily
MAX_PURPOSE = 300
MAX_REPLY = 4000
SERVICE_USER = "hit-notices"  # the node, when it sweeps
RELAY_KEY = node_messages.WAKE_KEY  # conn.info: a message was queued for another node
OPEN, OVERDUE, ANSWERED = "open", "overdue", "answered"


@dataclass(frozen=True)
class HitRef:
    """A hit on ``record_id``, whose owner is ``owner``."""

    record_id: str
    owner: str


@dataclass(frozen=True)
class Notice:
    """The owner's view of a notice and its follow-up item."""

    id: int
    record_id: str
    searcher_agency: str
    channel: str
    purpose: str | None
    hits: int
    created_at: datetime
    last_hit_at: datetime
    due_at: datetime
    status: str
    reminders: int
    reply: str | None
    replied_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self.__dict__)


@dataclass(frozen=True)
class FollowUp:
    """The searcher's view: whom its hit notified, the deadline, and the owner's reply."""

    id: int
    owner_agency: str
    record_id: str | None  # only where the searcher saw the record (SEEN_BY_SEARCHER)
    channel: str
    purpose: str | None
    created_at: datetime
    due_at: datetime
    status: str
    reply: str | None
    replied_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self.__dict__)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


# --- input ------------------------------------------------------------------------------


def check_purpose(purpose: str | None) -> str | None:
    """The stated purpose, trimmed; None if empty. One line of printable text."""
    if purpose is None or not purpose.strip():
        return None
    text = purpose.strip()
    if len(text) > MAX_PURPOSE:
        raise ValueError(f"purpose: at most {MAX_PURPOSE} characters")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise ValueError("purpose: must be one line of text without control characters")
    return text


def _check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"channel: {channel!r} is not one of {', '.join(CHANNELS)}")


# --- who owns what was hit --------------------------------------------------------------


def owner_of(record_id: str, codes: Iterable[str]) -> str | None:
    """The agency whose namespace the id is in (``de-bka.p1`` -> ``DE-BKA``), or None
    (an opaque alias, or an agency this node does not know)."""
    prefix = record_id.split(".", 1)[0] if "." in record_id else ""
    for code in codes:
        if code.lower() == prefix:
            return code
    return None


def refs_for_ids(conn: Connection, record_ids: Iterable[str]) -> list[HitRef]:
    """Hit references for record ids, owners taken from the directory."""
    ids = sorted(set(record_ids))
    if not ids:
        return []
    return _refs(ids, list(conn.execute(sa.select(agency.c.code)).scalars()))


# --- notifying --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ask:
    """One call's notices, to be written: the hits (or record ids whose owners the
    directory names, resolved in the writing transaction), checked already."""

    searcher_agency: str
    searcher_user: str
    channel: str
    purpose: str | None
    refs: tuple[HitRef, ...] = ()
    ids: tuple[str, ...] = ()
    now: datetime | None = None  # None: the time of the write


@dataclass(frozen=True)
class Request:
    """One request's asks, written in one transaction, their ids in order; ``first``: audit
    rows the request writes before its notices in the same transaction (its screening's
    own row: one commit for both instead of two in a row)."""

    asks: tuple[_Ask, ...]
    first: tuple[audit.Event, ...] = ()


_BATCHERS: weakref.WeakKeyDictionary[Engine, GroupWrite[Request, list[int]]] = (
    weakref.WeakKeyDictionary()
)
_BATCHERS_LOCK = threading.Lock()


def _batcher(store: Store) -> GroupWrite[Request, list[int]]:
    """This process's group writer of notices for the store's database (one per engine,
    shared by the store's purpose-bound copies)."""
    with _BATCHERS_LOCK:
        found = _BATCHERS.get(store.engine)
        if found is None:
            found = _BATCHERS[store.engine] = GroupWrite()
        return found


def notify_ids(
    store: Store,
    searcher: Viewer,
    record_ids: Iterable[str],
    channel: str,
    purpose: str | None = None,
) -> list[int]:
    """Notify the owners of the records a search returned (except the searcher's own)."""
    return notify_ids_for(store, searcher, [(record_ids, purpose)], channel)


def notify_ids_for(
    store: Store,
    searcher: Viewer,
    groups: Iterable[tuple[Iterable[str], str | None]],
    channel: str,
    audited: tuple[str, str, dict[str, Any]] | None = None,
) -> list[int]:
    """:func:`notify_ids` for groups of records told with different purposes (a screening's
    plain hits and those whose values it withheld), in one transaction: a request's notices
    are one commit and wake the relay once, whatever interface the request came through.
    Concurrent requests of this process share that transaction (:func:`_submit`).

    ``audited``: the request's own audit row (action, target, detail) not written yet; it
    is written in the same transaction just before the notices' rows, or alone when
    nothing foreign was hit: in the next batch of this writer either way, so the audit rows
    of screenings that hit and of those that did not share one transaction (one writer,
    ADR 0031, amendment of 2026-11-30). Committed when this returns."""
    request = _request_for(searcher, groups, channel, audited)
    if request is None:  # own records, or nothing found: no notice, no transaction
        return []
    return _submit(store, request)


async def notify_ids_for_async(
    store: Store,
    searcher: Viewer,
    groups: Iterable[tuple[Iterable[str], str | None]],
    channel: str,
    audited: tuple[str, str, dict[str, Any]] | None = None,
) -> list[int]:
    """:func:`notify_ids_for` for an async route: the same rows in the same group commit,
    waited for on the event loop instead of in a thread of the pool (a thread writes
    only when this request leads a batch, `GroupWrite.submit_async`)."""
    request = _request_for(searcher, groups, channel, audited)
    if request is None:
        return []
    return await _batcher(store).submit_async(request, lambda batch: _write_batch(store, batch))


def _request_for(
    searcher: Viewer,
    groups: Iterable[tuple[Iterable[str], str | None]],
    channel: str,
    audited: tuple[str, str, dict[str, Any]] | None,
) -> Request | None:
    """The request :func:`notify_ids_for` writes, its input checked in the caller's thread
    (a bad purpose fails this request, never its batch): its notices and its own audit row;
    with nothing foreign hit, the audit row alone (no ask); None with neither."""
    _check_channel(channel)
    own = f"{searcher.agency.lower()}."
    wanted = [(ids, purpose) for found, purpose in groups if (ids := _foreign(found, own))]
    first = () if audited is None else ((searcher.agency, searcher.username, *audited),)
    if not wanted:
        return Request((), first) if first else None
    asks = tuple(
        _Ask(searcher.agency, searcher.username, channel, check_purpose(purpose), ids=tuple(ids))
        for ids, purpose in wanted
    )
    return Request(asks, first)


def _foreign(record_ids: Iterable[str], own_prefix: str) -> list[str]:
    return [i for i in record_ids if not i.startswith(own_prefix)]


def notify(
    store: Store,
    searcher: Viewer,
    hits: Iterable[HitRef],
    channel: str,
    purpose: str | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Notify in a transaction of its own (shared with concurrent requests); returns the
    notice ids (new or counted up)."""
    _check_channel(channel)
    refs = tuple(h for h in hits if h.owner != searcher.agency)
    if not refs:
        return []
    ask = _Ask(searcher.agency, searcher.username, channel, check_purpose(purpose), refs, (), now)
    return _submit(store, Request((ask,)))


def _submit(store: Store, request: Request) -> list[int]:
    """Write a request's notices in the next group commit of this process and return once
    it is committed (ADR 0052, amendment): the requests waiting at that moment are written
    in one transaction, under one lock of the audit head, with one wake of the relay.
    A failed batch raises its error in every request it held."""
    return _batcher(store).submit(request, lambda batch: _write_batch(store, batch))


def _write_batch(store: Store, batch: list[Request]) -> list[list[int]]:
    """The notices of several requests in one transaction, each request's ids in order,
    its audit rows after its ``first`` rows, all under one lock of the audit head. The
    transaction writes no statement, so it does not take the statement-order lock. A batch
    of requests without notices (screenings that hit nothing foreign) writes their audit
    rows alone."""
    asks = [ask for request in batch for ask in request.asks]
    with store.transaction() as conn:
        audit.declare_statement_free(conn)
        per_ask: list[list[int]] = []
        told: list[list[audit.Event]] = []
        if asks:  # the directory as this process remembers it (`notice_directory`)
            per_ask, told = _write_asks(conn, asks, notice_directory.directory(store, conn))
        events: list[audit.Event] = []
        out: list[list[int]] = []
        at = 0
        for request in batch:
            mine = range(at, at + len(request.asks))
            events += [*request.first, *(e for n in mine for e in told[n])]
            out.append([i for n in mine for i in per_ask[n]])
            at += len(request.asks)
        audit.append_events(conn, events)  # declared free of statements: no order lock
        _wake_on_relay(store, conn)
    return out


def _wake_on_relay(store: Store, conn: Connection) -> None:
    """A notice was queued for another node: wake the node's worker on commit (in every
    process, through the change feed) so it is delivered within the second."""
    if conn.info.pop(RELAY_KEY, None):
        conn.info.setdefault("palermo_after_commit", []).extend(store.write_listeners)


def notify_in(
    conn: Connection,
    searcher_agency: str,
    searcher_user: str,
    hits: Iterable[HitRef],
    channel: str,
    purpose: str | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Write (or count up) one notice per foreign record hit, in the caller's transaction,
    each with its audit row: ``hit.notice`` for a new one, ``hit.repeat`` for the same
    (searcher agency, record, day) again. Hits on the searcher agency's records are
    dropped. The whole request's notices take one multi-row insert that counts up those
    already there, not two statements per hit (a person screening can hit dozens of
    records).
    The caller's transaction may write statements, so the audit append takes the
    statement-order lock as any other (ADR 0040)."""
    _check_channel(channel)
    ask = _Ask(
        searcher_agency, searcher_user, channel, check_purpose(purpose), tuple(hits), (), now
    )
    ids, told = _write_asks(conn, [ask])
    audit.append_events(conn, told[0])  # one audit row per notice, under one lock of the head
    return ids[0]


CHUNK = 500  # rows per multi-row INSERT (12 values each: within SQLite's variable limit)
Key = tuple[str, str, str]  # (searcher agency, record id, UTC day): one notice a day


@dataclass(frozen=True)
class _Hit:
    """One hit of one ask, as the serial rule sees it: the n-th hit on its key."""

    ask: int
    ref: HitRef
    now: datetime
    key: Key


def _write_asks(
    conn: Connection, asks: list[_Ask], found: Directory | None = None
) -> tuple[list[list[int]], list[list[audit.Event]]]:
    """Write the asks' notices as if each were written alone, one after the other: the
    first hit on a (searcher agency, record, day) opens the notice, every later one counts
    it up, each hit has its ``hit.notice``/``hit.repeat`` audit row and, on a received
    record, its relayed message with the count it made. Done together: one multi-row
    insert that counts up the notices already there (a key hit n times in the batch is
    inserted with n hits, or counted up by n), one origins query. Returns each ask's
    notice ids, in its hits' order, and each ask's audit rows, for the caller to append
    (one lock of the head).
    ``found``: the agency codes and deadlines (`notice_directory`), read here if None."""
    batch_now = datetime.now(UTC)
    found = notice_directory.read(conn) if found is None else found
    deadlines = found.deadlines
    hits: list[_Hit] = []
    for n, ask in enumerate(asks):
        refs: Iterable[HitRef] = ask.refs
        if ask.ids:
            refs = [*ask.refs, *_owned(ask.ids, found.owners)]
        now = ask.now or batch_now
        day = now.date().isoformat()
        for ref in _first_per_record(refs, ask.searcher_agency):
            hits.append(_Hit(n, ref, now, (ask.searcher_agency, ref.record_id, day)))
    if not hits:
        return [[] for _ in asks], [[] for _ in asks]
    by_key: dict[Key, list[_Hit]] = {}
    for hit in hits:
        by_key.setdefault(hit.key, []).append(hit)
    hours = {h.ref.owner: deadlines.get(h.ref.owner, DEFAULT_DEADLINE_HOURS) for h in hits}
    rows = [_row(asks[same[0].ask], same, hours) for same in by_key.values()]
    new, counted = _insert_new(conn, rows)
    origins = _origins(conn, [hit.ref for hit in hits])
    ids: list[list[int]] = [[] for _ in asks]
    events: list[list[audit.Event]] = [[] for _ in asks]
    relayed: list[tuple[_Hit, int, int]] = []  # (hit, notice id, its place among its key's)
    seen: dict[Key, int] = {}
    for hit in hits:
        notice_id = new.get(hit.key, counted.get(hit.key))
        if notice_id is None:
            raise RuntimeError("hit notice: neither inserted nor counted up")
        ask = asks[hit.ask]
        ids[hit.ask].append(notice_id)
        place = seen[hit.key] = seen.get(hit.key, 0) + 1
        detail = {
            "notice": notice_id,
            "owner": hit.ref.owner,
            "channel": ask.channel,
            "purpose": ask.purpose,
        }
        action = "hit.notice" if place == 1 and hit.key in new else "hit.repeat"
        said = (ask.searcher_agency, ask.searcher_user, action, hit.ref.record_id, detail)
        events[hit.ask].append(said)
        if (hit.ref.record_id, hit.ref.owner) in origins:
            relayed.append((hit, notice_id, place))
    _relay_all(conn, relayed, origins, {k: len(v) for k, v in by_key.items()})
    return ids, events


def _refs(record_ids: Iterable[str], codes: list[str]) -> list[HitRef]:
    """Hit references for record ids, in id order, owners from the directory's codes."""
    ids = sorted(set(record_ids))
    return [HitRef(i, owner) for i in ids if (owner := owner_of(i, codes)) is not None]


def _owned(record_ids: Iterable[str], owners: dict[str, str]) -> list[HitRef]:
    """`_refs` with the directory's ``owners`` (lower-case code -> code): one look-up a
    record instead of a walk over every code."""
    found = []
    for i in sorted(set(record_ids)):
        owner = owners.get(i.split(".", 1)[0]) if "." in i else None
        if owner is not None:
            found.append(HitRef(i, owner))
    return found


def _row(ask: _Ask, same: list[_Hit], hours: dict[str, int]) -> dict[str, Any]:
    """The notice the key's first hit opens, with the later hits of the batch counted."""
    first, last = same[0], same[-1]
    return {
        "owner_agency": first.ref.owner,
        "record_id": first.ref.record_id,
        "searcher_agency": ask.searcher_agency,
        "channel": ask.channel,
        "purpose": ask.purpose,
        "day": first.key[2],
        "hits": len(same),
        "created_at": first.now,
        "last_hit_at": last.now,
        "due_at": first.now + timedelta(hours=hours[first.ref.owner]),
        "status": OPEN,
        "reminders": 0,
    }


def _first_per_record(hits: Iterable[HitRef], searcher_agency: str) -> list[HitRef]:
    """The foreign hits in request order, each record once (its first hit)."""
    seen: set[str] = set()
    out: list[HitRef] = []
    for hit in hits:
        if hit.owner != searcher_agency and hit.record_id not in seen:
            seen.add(hit.record_id)
            out.append(hit)
    return out


def _insert_new(
    conn: Connection, rows: list[dict[str, Any]]
) -> tuple[dict[Key, int], dict[Key, int]]:
    """Insert the day's notices not there yet and count up those that are, in one
    ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` per 500 rows: (new, counted), each
    {key: notice id}. A row's ``hits`` are its number of hits in the batch, added to the
    stored count on a conflict, and its ``last_hit_at`` replaces the stored one; a row
    comes back with exactly its own ``hits`` only when it was inserted (a stored notice
    has at least one hit already). A notice of the same (searcher, record, day) under
    another owner is neither changed nor returned (the caller refuses that hit).

    The rows go in record order, and PostgreSQL takes each row's locks (the unique index
    entry of a new one, the stored row of a counted one, through the unique index whatever
    the plan) as it comes to that row, so two concurrent batches on overlapping records
    lock them in the same order and cannot deadlock (an ``UPDATE ... WHERE record_id IN``
    took them in the heap order of its scan, which did: ``test_hit_notices_lock_order``).
    One statement where an insert and then a count-up of the rest were two round trips
    (ADR 0031, amendment of 2026-11-30). SQLite serialises writers."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    ordered = sorted(rows, key=lambda row: (row["record_id"], row["searcher_agency"], row["day"]))
    added = {(r["searcher_agency"], r["record_id"], r["day"]): r["hits"] for r in ordered}
    new: dict[Key, int] = {}
    counted: dict[Key, int] = {}
    t = hit_notice
    # One statement for every batch size, rows as parameters: SQLAlchemy compiles it once
    # and sends each chunk as one multi-row INSERT in the rows' order (insertmanyvalues);
    # rows baked into ``.values([...])`` were compiled again on every request.
    insert = dialect.insert(t)
    upsert = insert.on_conflict_do_update(
        index_elements=[t.c.searcher_agency, t.c.record_id, t.c.day],
        set_={"hits": t.c.hits + insert.excluded.hits, "last_hit_at": insert.excluded.last_hit_at},
        where=t.c.owner_agency == insert.excluded.owner_agency,
    ).returning(t.c.id, t.c.searcher_agency, t.c.record_id, t.c.day, t.c.hits)
    for start in range(0, len(ordered), CHUNK):
        for r in conn.execute(upsert, ordered[start : start + CHUNK]):
            key = (r.searcher_agency, r.record_id, r.day)
            (new if int(r.hits) == added[key] else counted)[key] = int(r.id)
    return new, counted


def _upsert(
    conn: Connection, row: dict[str, Any], hits: sa.ColumnElement[int]
) -> tuple[int | None, bool]:
    """Insert the day's notice, or set ``hits`` (and ``last_hit_at``) on the row already
    there for (searcher agency, record, day) of the same owner. (notice id, inserted?)
    One notice (a relayed one, ``receive_remote``); a request's hits use ``notify_in``."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    insert = dialect.insert(hit_notice).values(**row).on_conflict_do_nothing()
    inserted = conn.execute(insert.returning(hit_notice.c.id)).scalar()
    if inserted is not None:
        return int(inserted), True
    key = (
        (hit_notice.c.searcher_agency == row["searcher_agency"])
        & (hit_notice.c.record_id == row["record_id"])
        & (hit_notice.c.day == row["day"])
        & (hit_notice.c.owner_agency == row["owner_agency"])
    )
    bump = hit_notice.update().where(key).values(hits=hits, last_hit_at=row["last_hit_at"])
    found = conn.execute(bump.returning(hit_notice.c.id)).scalar()
    return (None if found is None else int(found)), False


def _origins(conn: Connection, hits: list[HitRef]) -> dict[tuple[str, str], str]:
    """The node each hit record was received from, for the hits on received records (one
    query for all of a search's hits: most are on local records and need no relay)."""
    ids = sorted({h.record_id for h in hits})
    if not ids:
        return {}
    rows = conn.execute(
        sa.select(statement.c.entity_id, statement.c.agency, sa.func.min(statement.c.received_from))
        .where(statement.c.entity_id.in_(ids), statement.c.received_from.is_not(None))
        .group_by(statement.c.entity_id, statement.c.agency)
    )
    return {(r[0], r[1]): str(r[2]) for r in rows}


def _relay_all(
    conn: Connection,
    relayed: list[tuple[_Hit, int, int]],
    origins: dict[tuple[str, str], str],
    per_key: dict[Key, int],
) -> None:
    """Hits on records received from another node (their ``origins``): the owner is on that
    node, so each hit's notice (as that hit left it: its count so far) is queued for it
    (``hit_notice_relay`` delivers it, signed, to the node's ``/exchange/v1/hit-notices``).
    ``relayed``: (hit, notice id, the hit's place among its key's hits in the batch); the
    notices are read in one query."""
    if not relayed:
        return
    wanted = sorted({notice_id for _, notice_id, _ in relayed})
    rows: dict[int, Any] = {}
    for start in range(0, len(wanted), CHUNK):
        found = conn.execute(
            sa.select(hit_notice).where(hit_notice.c.id.in_(wanted[start : start + CHUNK]))
        )
        rows.update((int(r.id), r) for r in found)
    for hit, notice_id, place in relayed:
        row, of = rows[notice_id], per_key[hit.key]
        at = row.last_hit_at if place == of else hit.now  # the last hit's is the row's
        notice = {
            "record_id": row.record_id,
            "owner": row.owner_agency,
            "searcher_agency": row.searcher_agency,
            "channel": row.channel,
            "purpose": row.purpose,
            "day": row.day,
            "hits": int(row.hits) - of + place,
            "at": _utc(at).isoformat(),
        }
        origin = origins[(hit.ref.record_id, hit.ref.owner)]
        conn.info[RELAY_KEY] = True
        conn.execute(
            hit_notice_outbox.insert().values(
                node_id=str(origin),
                notice=json.dumps(notice, sort_keys=True),
                created_at=datetime.now(UTC),
                sent_at=None,
            )
        )


def receive_remote(
    conn: Connection, owner: str, notice: dict[str, Any], deadline_from: datetime | None = None
) -> int | None:
    """Record a notice another node relayed for one of ``owner``'s records (the relay
    checked the sender and the record). Idempotent: the notice carries its hit count so
    far, so a delivery repeated after a lost answer counts nothing twice. Returns the
    notice id, or None when the notice is not well formed."""
    record_id, searcher = str(notice.get("record_id", "")), str(notice.get("searcher_agency", ""))
    channel, day = str(notice.get("channel", "")), str(notice.get("day", ""))
    try:
        _check_channel(channel)
        purpose = check_purpose(notice.get("purpose"))
        hits = int(notice.get("hits", 1))
        at = datetime.fromisoformat(str(notice.get("at")))
        date.fromisoformat(day)
    except (TypeError, ValueError):
        return None
    if not record_id or len(record_id) > 255 or not searcher or searcher == owner or hits < 1:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    now = deadline_from or datetime.now(UTC)
    row = {
        "owner_agency": owner,
        "record_id": record_id,
        "searcher_agency": searcher,
        "channel": channel,
        "purpose": purpose,
        "day": day,
        "hits": hits,
        "created_at": now,
        "last_hit_at": at,
        "due_at": now + timedelta(hours=_deadline_hours(conn, owner)),
        "status": OPEN,
        "reminders": 0,
    }
    more = sa.case((hit_notice.c.hits < hits, hits), else_=hit_notice.c.hits)
    inserted, _ = _upsert(conn, row, more)  # a repeated delivery: the larger count stays
    if inserted is None:  # the day's row is another owner's (not ours to count up)
        return None
    detail = {"notice": int(inserted), "searcher": searcher, "channel": channel, "hits": hits}
    audit.append(conn, owner, SERVICE_USER, "hit.notice.remote", record_id, detail)
    return int(inserted)


# --- the follow-up clock ----------------------------------------------------------------


def _deadline_hours(conn: Connection, owner: str) -> int:
    found = conn.execute(
        sa.select(hit_notice_setting.c.deadline_hours).where(hit_notice_setting.c.agency == owner)
    ).scalar()
    return int(found) if found is not None else DEFAULT_DEADLINE_HOURS


def deadline_hours(store: Store, agency_code: str) -> int:
    with store.engine.connect() as conn:
        return _deadline_hours(conn, agency_code)


def set_deadline(store: Store, actor: Viewer, agency_code: str, hours: int) -> None:
    """An agency's admin (or the node) sets how long its agency has to follow up a hit;
    notices opened afterwards get the new deadline."""
    actor.require_admin("set the hit follow-up deadline", agency=agency_code)
    if not 1 <= hours <= MAX_DEADLINE_HOURS:
        raise ValueError(f"hours: must be between 1 and {MAX_DEADLINE_HOURS}")
    with store.transaction() as conn:
        table = hit_notice_setting
        found = conn.execute(sa.select(table.c.agency).where(table.c.agency == agency_code))
        if found.first() is None:
            conn.execute(table.insert().values(agency=agency_code, deadline_hours=hours))
        else:
            conn.execute(
                table.update().where(table.c.agency == agency_code).values(deadline_hours=hours)
            )
        audit.append(
            conn, actor.agency, actor.username, "hit.deadline", agency_code, {"hours": hours}
        )
        store.announce_directory(conn)  # every process's remembered deadlines are stale


def sweep(store: Store, now: datetime | None = None) -> list[int]:
    """Mark open notices past their deadline overdue and re-notify overdue, unanswered
    ones once a day; each reminder is audited under the owner. Returns the reminded ids."""
    now = now or datetime.now(UTC)
    t = hit_notice
    due = sa.or_(
        sa.and_(t.c.status == OPEN, t.c.due_at <= now),
        sa.and_(t.c.status == OVERDUE, t.c.reminded_at <= now - REMIND_EVERY),
    )
    with store.engine.connect() as conn:
        if conn.execute(sa.select(t.c.id).where(due).limit(1)).first() is None:
            return []  # the worker calls this every few seconds: nothing to write, no lock
    with store.transaction() as conn:
        rows = conn.execute(sa.select(t.c.id, t.c.owner_agency, t.c.record_id).where(due)).all()
        for notice_id, owner, record_id in rows:
            conn.execute(
                t.update()
                .where(t.c.id == notice_id)
                .values(status=OVERDUE, reminders=t.c.reminders + 1, reminded_at=now)
            )
            detail = {"notice": notice_id}
            audit.append(conn, owner, SERVICE_USER, "hit.reminder", record_id, detail)
    return [int(r[0]) for r in rows]


def reply(store: Store, viewer: Viewer, notice_id: int, text: str) -> Notice:
    """The owner answers a notice; the searcher reads the answer in :func:`sent`. A notice
    of another agency is not found (404), exactly like one that does not exist."""
    viewer.require_data_role("answer hit notices")
    body = text.strip()
    if not body:
        raise ValueError("text: empty")
    if len(body) > MAX_REPLY:
        raise ValueError(f"text: at most {MAX_REPLY} characters")
    now = datetime.now(UTC)
    mine = (hit_notice.c.id == notice_id) & (hit_notice.c.owner_agency == viewer.agency)
    with store.transaction() as conn:
        row = conn.execute(
            hit_notice.update()
            .where(mine)
            .values(reply=body, replied_by=viewer.username, replied_at=now, status=ANSWERED)
            .returning(*hit_notice.c)
        ).first()
        if row is None:
            raise NotVisible(f"notice_id: no hit notice {notice_id}")
        detail = {"notice": notice_id, "searcher": row.searcher_agency}
        audit.append(conn, viewer.agency, viewer.username, "hit.reply", row.record_id, detail)
        _relay_reply(conn, row)
        _wake_on_relay(store, conn)
    return _notice(row._mapping)


def _relay_reply(conn: Connection, row: Any) -> None:
    """A notice a searcher on another node caused (its agency is a peer node's): queue the
    reply for that node, so the searcher reads it among its follow-ups there
    (``hit_notice_relay``; that node records it only on a notice of its own)."""
    me = conn.execute(sa.select(node_self.c.agency_code)).scalar()
    if me is None or row.searcher_agency == me:
        return
    nodes = conn.execute(sa.select(peer.c.node_id).where(peer.c.agency_code == row.searcher_agency))
    item = {
        "record_id": row.record_id,
        "owner": row.owner_agency,
        "searcher_agency": row.searcher_agency,
        "day": row.day,
        "reply": row.reply,
        "replied_at": _utc(row.replied_at).isoformat(),
    }
    for node_id in nodes.scalars():
        node_messages.queue(conn, str(node_id), node_messages.REPLY, item)


def receive_reply(
    conn: Connection, searcher: str, owner: str, node: str, item: dict[str, Any]
) -> int | None:
    """Record the reply an owner's node relayed on a notice ``searcher``'s hit opened on a
    record of ``owner`` (the relay checked the sender). Returns the notice id, or None when
    the reply is malformed or no such notice exists here."""
    text, record_id, day = item.get("reply"), item.get("record_id"), item.get("day")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_REPLY:
        return None
    if item.get("searcher_agency") != searcher or not isinstance(record_id, str):
        return None
    try:
        at = datetime.fromisoformat(str(item.get("replied_at")))
    except ValueError:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    t = hit_notice
    mine = (t.c.searcher_agency == searcher) & (t.c.owner_agency == owner)
    found = conn.execute(
        sa.select(t.c.id, t.c.reply, t.c.replied_at).where(
            mine, t.c.record_id == record_id, t.c.day == str(day)
        )
    ).first()
    if found is None:
        return None
    if found.reply == text.strip() and found.replied_at is not None:
        return int(found.id)  # the same reply delivered again
    conn.execute(
        t.update()
        .where(t.c.id == found.id)
        .values(
            reply=text.strip(), replied_by=f"{owner}@{node}"[:128], replied_at=at, status=ANSWERED
        )
    )
    detail = {"notice": int(found.id), "owner": owner, "node": node}
    audit.append(conn, searcher, SERVICE_USER, "hit.reply.remote", record_id, detail)
    return int(found.id)


# --- reading ----------------------------------------------------------------------------


def received(store: Store, viewer: Viewer, status: str | None = None) -> list[Notice]:
    """Notices about the viewer agency's records, newest first."""
    viewer.require_data_role("read hit notices")
    if status is not None and status not in (OPEN, OVERDUE, ANSWERED):
        raise ValueError(f"status: {status!r} is not one of {OPEN}, {OVERDUE}, {ANSWERED}")
    query = sa.select(hit_notice).where(hit_notice.c.owner_agency == viewer.agency)
    if status is not None:
        query = query.where(hit_notice.c.status == status)
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(hit_notice.c.id.desc())).all()
    return [_notice(r._mapping) for r in rows]


def sent(store: Store, viewer: Viewer) -> list[FollowUp]:
    """Follow-ups the viewer agency's hits opened at other agencies, with their replies."""
    viewer.require_data_role("read hit follow-ups")
    query = sa.select(hit_notice).where(hit_notice.c.searcher_agency == viewer.agency)
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(hit_notice.c.id.desc())).all()
    return [
        FollowUp(
            id=int(r.id),
            owner_agency=r.owner_agency,
            record_id=r.record_id if r.channel in SEEN_BY_SEARCHER else None,
            channel=r.channel,
            purpose=r.purpose,
            created_at=_utc(r.created_at),
            due_at=_utc(r.due_at),
            status=r.status,
            reply=r.reply,
            replied_at=_utc(r.replied_at) if r.replied_at else None,
        )
        for r in rows
    ]


def _notice(r: Any) -> Notice:
    return Notice(
        id=int(r["id"]),
        record_id=r["record_id"],
        searcher_agency=r["searcher_agency"],
        channel=r["channel"],
        purpose=r["purpose"],
        hits=int(r["hits"]),
        created_at=_utc(r["created_at"]),
        last_hit_at=_utc(r["last_hit_at"]),
        due_at=_utc(r["due_at"]),
        status=r["status"],
        reminders=int(r["reminders"]),
        reply=r["reply"],
        replied_at=_utc(r["replied_at"]) if r["replied_at"] else None,
    )


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every one stored here is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
