"""Retention and review clocks: records reaching review are queued for their owner, records
past their maximum are erased (tombstoned) from every view, index and peer.

EU systems keep personal data only as long as needed and review the need after a fixed
period (Europol: three years after the start of processing, Regulation (EU) 2016/794
Art. 31); national police laws code review and maximum periods per kind of record. The
periods are coded as data like the laws in ``laws/``: ``retention/<jurisdiction>.yaml``
gives, per data kind, ``review_years`` and ``max_years``. An agency follows its country's
file unless it chose another (``set_jurisdiction``); without either, the EU file.

A *record* is what one agency said about one entity on this node: its current statements
on the entity id, written here (never statements received from a peer: their owner's node
runs their clock, and its retractions arrive by sync). Its clock starts at the earliest
``recorded_at`` of those statements (Europol's "start of initial processing"); its kind
comes from its own statements (:func:`classify`). :func:`sweep` (``palermo retention
sweep``, or the server's worker through :class:`Sweeper`):

- queues records whose review is due for their owner (:func:`queued`; only the owner's own
  rows are selected, in the query);
- erases records past their maximum: every current statement of the owner on the entity is
  retracted (a tombstone, ``Statement.retraction``) in one write whose audit row is
  ``retention.erase``; the retraction hides the values on every read path (search,
  screening, analysis, export all select through the visibility rule, and their caches drop
  on the write), the owner's search terms of the entity are deleted, and the exchange
  outbox sends the retractions to every peer the values reached;
- purges erased records physically once every peer has their retractions
  (``retention_purge``: values, retractions, index terms, alerts and derived ids are
  deleted, in one audit event ``retention.purge`` that ``audit verify`` accounts for).

The owner decides on a queued record: :func:`keep` (a reason is required; the next review
is one review period later, never past the maximum; audited ``retention.keep``) or
:func:`erase` (audited ``retention.erase``, as the sweep's). Another agency's record is
"not found", exactly like a record that is not due. The sweep never touches a statement of
an agency other than the record's owner (hypothesis test).
"""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection

from palermo.access.viewer import NotVisible, Role, Viewer
from palermo.coordination import retention_purge
from palermo.model.statement import change_time
from palermo.store import audit
from palermo.store.directory import Agency
from palermo.store.rows import statement_from_row
from palermo.store.search_index import search_term
from palermo.store.store import Store
from palermo.store.tables import (
    policy,
    retention_decision,
    retention_queue,
    retention_setting,
    statement,
)
from palermo.store.views import as_utc
from palermo.store.visibility import is_current

PERIODS = Path(__file__).parent / "retention"
DEFAULT_JURISDICTION = "EU"
KINDS = (
    "person-suspect",
    "person-victim",
    "person-missing",
    "person",
    "victim-record",
    "notice",
    "case",
    "other",
)
YEAR = timedelta(days=365.25)
SERVICE_USER = "retention"  # the node, when it sweeps
MAX_REASON = 2000
KEEP, ERASE, EXPIRE = "keep", "erase", "expire"

CASE_SCHEMATA = frozenset(
    {
        "InvestigationCase",
        "CaseTask",
        "CaseNote",
        "JointOperation",
        "OperationTask",
        "OperationResult",
        "LegalAssistanceRequest",
    }
)
PERSON_SCHEMATA = frozenset({"Person"})
# Documents are kept as long as the person they belong to: they take the holder's kind.
HELD_SCHEMATA = frozenset({"Passport", "Identification"})
SUSPECT_TOPICS = ("crime", "wanted")
MISSING_NOTICE = "yellow"  # INTERPOL-style: missing person or possible victim
CLASSIFYING_PROPS = ("topics", "keywords", "holder", "victim", "subject", "noticeType")


# --- the coded periods --------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """After how long a record is reviewed, and after how long it is erased (None: never
    by age alone; it is reviewed again every period)."""

    review_years: float
    max_years: float | None

    @property
    def review(self) -> timedelta:
        return self.review_years * YEAR

    @property
    def maximum(self) -> timedelta | None:
        return None if self.max_years is None else self.max_years * YEAR


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    name: str
    source: str
    periods: dict[str, Period]
    illustrative: bool = True

    def period(self, kind: str) -> Period:
        return self.periods.get(kind) or self.periods["default"]

    def shortest_review(self) -> timedelta:
        return min(p.review for p in self.periods.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "jurisdiction": self.code,
            "name": self.name,
            "source": self.source,
            "illustrative": self.illustrative,
            "periods": {
                k: {"review_years": p.review_years, "max_years": p.max_years}
                for k, p in sorted(self.periods.items())
            },
        }


@cache
def jurisdictions() -> dict[str, Jurisdiction]:
    out = {}
    for path in sorted(PERIODS.glob("*.yaml")):
        found = _jurisdiction(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
        out[found.code] = found
    return out


def _jurisdiction(data: dict[str, Any], where: str) -> Jurisdiction:
    periods: dict[str, Period] = {}
    for kind, spec in (data.get("periods") or {}).items():
        if kind != "default" and kind not in KINDS:
            raise ValueError(f"{where}: periods: unknown data kind {kind!r}")
        review, maximum = spec.get("review_years"), spec.get("max_years")
        if not isinstance(review, int | float) or review <= 0:
            raise ValueError(f"{where}: {kind}.review_years: must be a positive number")
        if maximum is not None and (not isinstance(maximum, int | float) or maximum < review):
            raise ValueError(f"{where}: {kind}.max_years: must be at least review_years")
        periods[kind] = Period(float(review), None if maximum is None else float(maximum))
    if "default" not in periods:
        raise ValueError(f"{where}: periods: a 'default' entry is required")
    return Jurisdiction(
        code=str(data["jurisdiction"]).upper(),
        name=str(data["name"]),
        source=str(data["source"]),
        periods=periods,
        illustrative=bool(data.get("illustrative", True)),
    )


def jurisdiction(code: str) -> Jurisdiction:
    found = jurisdictions().get(code.upper())
    if found is None:
        have = ", ".join(jurisdictions())
        raise ValueError(f"jurisdiction: no coded retention periods for {code!r} (have {have})")
    return found


def jurisdiction_of(conn: Connection, agency: Agency) -> Jurisdiction:
    """The agency's chosen jurisdiction, else its country's file, else the EU file."""
    chosen = conn.execute(
        sa.select(retention_setting.c.jurisdiction).where(retention_setting.c.agency == agency.code)
    ).scalar()
    for code in (chosen, agency.country, DEFAULT_JURISDICTION):
        if code and code.upper() in jurisdictions():
            return jurisdictions()[code.upper()]
    raise ValueError(f"jurisdiction: no {DEFAULT_JURISDICTION} retention file installed")


def set_jurisdiction(store: Store, actor: Viewer, agency_code: str, code: str) -> Jurisdiction:
    """An agency's admin (or the node) chooses whose coded periods the agency follows."""
    actor.require_admin("set retention periods", agency=agency_code)
    chosen = jurisdiction(code)
    if not any(a.code == agency_code for a in store.agencies()):
        raise NotVisible(f"agency: no agency {agency_code!r}")
    now = datetime.now(UTC)
    with store.transaction() as conn:
        table = retention_setting
        conn.execute(table.delete().where(table.c.agency == agency_code))
        conn.execute(
            table.insert().values(agency=agency_code, jurisdiction=chosen.code, updated_at=now)
        )
        detail = {"jurisdiction": chosen.code}
        audit.append(
            conn, actor.agency, actor.username, "retention.jurisdiction", agency_code, detail
        )
    return chosen


# --- what a record is ---------------------------------------------------------------------


@dataclass
class Facts:
    """What an agency's own statements say about the roles of its records."""

    schema: dict[str, str] = field(default_factory=dict)
    topics: dict[str, set[str]] = field(default_factory=dict)
    keywords: dict[str, set[str]] = field(default_factory=dict)
    holder: dict[str, str] = field(default_factory=dict)
    victims: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)


def classify(entity_id: str, facts: Facts, depth: int = 0) -> str:
    """The data kind of a record. A person is a suspect (crime/wanted topic), else a victim
    (named by a VictimRecord of the owner, or keyword "victim"), else missing (subject of a
    yellow notice, or keyword "missing"), else a person; a passport or identification
    takes its holder's kind; the rest by schema."""
    schema = facts.schema.get(entity_id, "")
    if schema in PERSON_SCHEMATA:
        words = {w.strip().lower() for w in facts.keywords.get(entity_id, set())}
        topics = facts.topics.get(entity_id, set())
        if any(t == p or t.startswith(p + ".") for t in topics for p in SUSPECT_TOPICS):
            return "person-suspect"
        if entity_id in facts.victims or "victim" in words:
            return "person-victim"
        if entity_id in facts.missing or "missing" in words:
            return "person-missing"
        return "person"
    if schema in HELD_SCHEMATA and depth == 0 and entity_id in facts.holder:
        return classify(facts.holder[entity_id], facts, depth + 1)
    if schema == "VictimRecord":
        return "victim-record"
    if schema == "Notice":
        return "notice"
    if schema in CASE_SCHEMATA:
        return "case"
    return "other"


def _own_local(agency: str) -> sa.ColumnElement[bool]:
    """The agency's current statements written on this node (never received ones)."""
    return sa.and_(statement.c.agency == agency, statement.c.received_from.is_(None), is_current())


def _facts(conn: Connection, agency: str) -> Facts:
    facts = Facts()
    rows = conn.execute(
        sa.select(statement.c.entity_id, statement.c.schema, statement.c.prop, statement.c.value)
        .where(_own_local(agency))
        .where(statement.c.prop.in_(CLASSIFYING_PROPS))
    )
    notice_type: dict[str, set[str]] = {}
    subjects: dict[str, set[str]] = {}
    for eid, schema, prop, value in rows:
        if prop == "topics":
            facts.topics.setdefault(eid, set()).add(value)
        elif prop == "keywords":
            facts.keywords.setdefault(eid, set()).add(value)
        elif prop == "holder" and schema in HELD_SCHEMATA:
            facts.holder[eid] = value
        elif prop == "victim" and schema == "VictimRecord":
            facts.victims.add(value)
        elif prop == "noticeType" and schema == "Notice":
            notice_type.setdefault(eid, set()).add(value.strip().lower())
        elif prop == "subject" and schema == "Notice":
            subjects.setdefault(eid, set()).add(value)
    for notice, kinds in notice_type.items():
        if MISSING_NOTICE in kinds:
            facts.missing |= subjects.get(notice, set())
    return facts


# --- the clock ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    agency: str
    entity_id: str
    kind: str
    started_at: datetime
    review_due: datetime
    max_due: datetime | None


@dataclass(frozen=True)
class ReviewItem:
    """A record of the viewer's agency waiting for its keep-or-erase decision. Ids, kind
    and dates only: no value, so a masked (victim-sensitive) record shows nothing more."""

    entity_id: str
    kind: str
    started_at: datetime
    review_due: datetime
    max_due: datetime | None
    queued_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            k: v.isoformat() if isinstance(v, datetime) else v for k, v in self.__dict__.items()
        }


@dataclass
class SweepReport:
    queued: list[tuple[str, str]] = field(default_factory=list)  # (agency, entity id)
    erased: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (+ reason)
    purge: retention_purge.PurgeReport = field(default_factory=retention_purge.PurgeReport)

    def to_json(self) -> dict[str, Any]:
        return {
            "queued": [list(x) for x in self.queued],
            "erased": [list(x) for x in self.erased],
            "failed": [list(x) for x in self.failed],
            **self.purge.to_json(),
        }


def clocks(conn: Connection, agency: Agency, now: datetime) -> list[Clock]:
    """The clocks of the agency's records whose earliest review could be due by ``now``."""
    rules = jurisdiction_of(conn, agency)
    started = sa.type_coerce(sa.func.min(statement.c.recorded_at), sa.DateTime(timezone=True))
    query = (
        sa.select(statement.c.entity_id, sa.func.max(statement.c.schema), started)
        .where(_own_local(agency.code))
        .group_by(statement.c.entity_id)
        .having(sa.func.min(statement.c.recorded_at) <= now - rules.shortest_review())
    )
    records = {eid: (schema, as_utc(start)) for eid, schema, start in conn.execute(query)}
    if not records:
        return []
    facts = _facts(conn, agency.code)
    for eid, (schema, _) in records.items():
        facts.schema[eid] = schema
    kept = _kept_until(conn, agency.code)
    out = []
    for eid, (_, start) in sorted(records.items()):
        assert start is not None
        kind = classify(eid, facts)
        period = rules.period(kind)
        review_due = start + period.review
        decided = [until for at, until in kept.get(eid, []) if at >= start]
        if decided:
            review_due = max(review_due, *decided)
        maximum = period.maximum
        max_due = start + maximum if maximum is not None else None
        if max_due is not None:
            review_due = min(review_due, max_due)
        out.append(Clock(agency.code, eid, kind, start, review_due, max_due))
    return out


def _kept_until(conn: Connection, agency: str) -> dict[str, list[tuple[datetime, datetime]]]:
    t = retention_decision
    rows = conn.execute(
        sa.select(t.c.entity_id, t.c.decided_at, t.c.next_review).where(
            t.c.agency == agency, t.c.action == KEEP
        )
    )
    out: dict[str, list[tuple[datetime, datetime]]] = {}
    for eid, at, until in rows:
        decided, next_review = as_utc(at), as_utc(until)
        if decided is not None and next_review is not None:
            out.setdefault(eid, []).append((decided, next_review))
    return out


# --- the sweep ----------------------------------------------------------------------------


def sweep(store: Store, now: datetime | None = None) -> SweepReport:
    """Queue records at review for their owner, erase records past their maximum, purge
    erased records whose retractions every peer has. One transaction per erased record, so
    one failure (reported) does not stop the rest."""
    now = now or datetime.now(UTC)
    report = SweepReport()
    for agency in store.agencies():
        with store.engine.connect() as conn:
            due = clocks(conn, agency, now)
        expired = [c for c in due if c.max_due is not None and c.max_due <= now]
        review = [c for c in due if c not in expired and c.review_due <= now]
        for clock in expired:
            try:
                _erase(store, clock, SERVICE_USER, EXPIRE, "maximum retention period reached")
            except (NotVisible, ValueError) as exc:
                report.failed.append((agency.code, clock.entity_id, str(exc)))
                continue
            report.erased.append((agency.code, clock.entity_id))
        report.queued += _queue(store, agency.code, review, now)
    report.purge = retention_purge.purge_due(store)
    return report


def _queue(store: Store, agency: str, due: list[Clock], now: datetime) -> list[tuple[str, str]]:
    """Make the agency's queue exactly the records now at review (new ones are added and
    audited once; records no longer due or gone leave it)."""
    t = retention_queue
    with store.engine.connect() as conn:
        present = set(conn.execute(sa.select(t.c.entity_id).where(t.c.agency == agency)).scalars())
    wanted = {c.entity_id for c in due}
    new = [c for c in due if c.entity_id not in present]
    if not new and present <= wanted:
        return []  # nothing to write: the worker calls this often
    with store.transaction() as conn:
        stale = sorted(present - wanted)
        if stale:
            conn.execute(t.delete().where(t.c.agency == agency, t.c.entity_id.in_(stale)))
        for clock in new:
            conn.execute(
                t.insert().values(
                    agency=agency,
                    entity_id=clock.entity_id,
                    kind=clock.kind,
                    started_at=clock.started_at,
                    review_due=clock.review_due,
                    max_due=clock.max_due,
                    queued_at=now,
                )
            )
        if new:
            ids = [c.entity_id for c in new]
            detail = {"records": len(ids), "entities": ids[:50]}
            audit.append(conn, agency, SERVICE_USER, "retention.review", _sample(ids), detail)
    return [(agency, c.entity_id) for c in new]


def _erase(store: Store, clock: Clock, username: str, action: str, reason: str) -> int:
    """Retract every current statement of the owner on the entity (one write, audited as
    ``retention.erase``), drop the owner's search terms of it and its queue row, and record
    the decision."""
    writer = Viewer(clock.agency, username, frozenset({Role.ANALYST}))
    with store.transaction() as conn:
        rows = conn.execute(
            sa.select(statement, policy.c.canonical)
            .join(policy, policy.c.id == statement.c.policy_id)
            .where(statement.c.entity_id == clock.entity_id)
            .where(_own_local(clock.agency))
        ).all()
        when = change_time()
        retractions = [statement_from_row(dict(r._mapping)).retraction(when) for r in rows]
        count = store.write(
            writer, retractions, action="retention.erase", target=clock.entity_id, conn=conn
        )
        owned = sa.select(statement.c.seq).where(
            statement.c.entity_id == clock.entity_id, statement.c.agency == clock.agency
        )
        conn.execute(search_term.delete().where(search_term.c.seq.in_(owned)))
        conn.execute(
            retention_queue.delete().where(
                retention_queue.c.agency == clock.agency,
                retention_queue.c.entity_id == clock.entity_id,
            )
        )
        retention_purge.mark(conn, clock.agency, clock.entity_id)  # deleted once delivered
        conn.execute(
            retention_decision.insert().values(
                agency=clock.agency,
                entity_id=clock.entity_id,
                action=action,
                reason=reason,
                username=username,
                decided_at=datetime.now(UTC),
                next_review=None,
            )
        )
    return count


# --- the owner's queue and decisions ----------------------------------------------------


def queued(store: Store, viewer: Viewer) -> list[ReviewItem]:
    """The viewer agency's records at review, the earliest due first."""
    viewer.require_data_role("read the retention review queue")
    t = retention_queue
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t).where(t.c.agency == viewer.agency).order_by(t.c.review_due, t.c.entity_id)
        ).all()
    return [_item(r._mapping) for r in rows]


def _item(row: Any) -> ReviewItem:
    started, review, queued_at = (as_utc(row[k]) for k in ("started_at", "review_due", "queued_at"))
    assert started is not None and review is not None and queued_at is not None
    return ReviewItem(
        row["entity_id"], row["kind"], started, review, as_utc(row["max_due"]), queued_at
    )


def check_reason(reason: str | None) -> str:
    """The owner's reason, required for every decision: one line of printable text."""
    text = (reason or "").strip()
    if not text:
        raise ValueError("reason: give the reason for the decision")
    if len(text) > MAX_REASON:
        raise ValueError(f"reason: at most {MAX_REASON} characters")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise ValueError("reason: must not contain control characters")
    return text


def check_extension(years: float | None, period: Period) -> timedelta:
    """How long a keep extends the clock: one review period unless fewer years are asked."""
    if years is None:
        return period.review
    if not isinstance(years, int | float) or not 0 < years <= period.review_years:
        raise ValueError(
            f"years: extend by more than 0 and at most {period.review_years:g} years "
            "(one review period)"
        )
    return years * YEAR


def _pending(conn: Connection, viewer: Viewer, entity_id: str) -> ReviewItem:
    if not entity_id or len(entity_id) > 255 or any(ord(c) < 32 for c in entity_id):
        raise ValueError("entity_id: 1 to 255 characters, no control characters")
    t = retention_queue
    row = conn.execute(
        sa.select(t).where(t.c.agency == viewer.agency, t.c.entity_id == entity_id)
    ).first()
    if row is None:
        raise NotVisible(f"entity_id: no record {entity_id!r} of yours awaits review")
    return _item(row._mapping)


def keep(
    store: Store,
    viewer: Viewer,
    entity_id: str,
    reason: str,
    now: datetime | None = None,
    years: float | None = None,
) -> ReviewItem:
    """Keep a queued record for another review period, or for ``years`` when the owner
    chooses a shorter extension (never longer than one review period: the need is reviewed
    again at least that often; never past the maximum). The decision and its reason are
    recorded and audited (``retention.keep``). Returns the record with its next review."""
    viewer.require_data_role("decide on retention")
    text = check_reason(reason)
    now = now or datetime.now(UTC)
    with store.transaction() as conn:
        item = _pending(conn, viewer, entity_id)
        agency = next(a for a in _agencies(conn) if a.code == viewer.agency)
        period = jurisdiction_of(conn, agency).period(item.kind)
        next_review = now + check_extension(years, period)
        if item.max_due is not None:
            next_review = min(next_review, item.max_due)
        conn.execute(
            retention_decision.insert().values(
                agency=viewer.agency,
                entity_id=entity_id,
                action=KEEP,
                reason=text,
                username=viewer.username,
                decided_at=now,
                next_review=next_review,
            )
        )
        conn.execute(
            retention_queue.delete().where(
                retention_queue.c.agency == viewer.agency,
                retention_queue.c.entity_id == entity_id,
            )
        )
        detail = {"reason": text, "kind": item.kind, "next_review": next_review.isoformat()}
        audit.append(conn, viewer.agency, viewer.username, "retention.keep", entity_id, detail)
    return ReviewItem(
        entity_id, item.kind, item.started_at, next_review, item.max_due, item.queued_at
    )


def erase(store: Store, viewer: Viewer, entity_id: str, reason: str) -> int:
    """The owner erases a queued record now (as the sweep does at the maximum). Returns
    the number of statements retracted."""
    viewer.require_data_role("decide on retention")
    text = check_reason(reason)
    with store.engine.connect() as conn:
        item = _pending(conn, viewer, entity_id)
    clock = Clock(
        viewer.agency, entity_id, item.kind, item.started_at, item.review_due, item.max_due
    )
    return _erase(store, clock, viewer.username, ERASE, text)


def _agencies(conn: Connection) -> list[Agency]:
    from palermo.store import directory

    return directory.list_agencies(conn)


# --- the worker's hook --------------------------------------------------------------------


class Sweeper:
    """The server's worker task: runs :func:`sweep` at most once per ``every`` (clocks
    count in days and years; the worker wakes every few seconds)."""

    def __init__(self, store: Store, every: float = 3600.0) -> None:
        self.store = store
        self.every = every
        self._last: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> SweepReport | None:
        with self._lock:
            now = time.monotonic()
            if self._last is not None and now - self._last < self.every:
                return None
            self._last = now
        return sweep(self.store)


def _sample(ids: Iterable[str], size: int = 5) -> str:
    items = sorted(ids)
    more = f" (+{len(items) - size})" if len(items) > size else ""
    return ",".join(items[:size]) + more
