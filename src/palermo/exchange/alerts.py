"""Subscriptions and alerts: tell users as soon as matching data arrives.

A scanner reads statements newer than its cursor (written here or received from peers) as
each subscriber sees them - through the same SQL visibility rule as every read, with masked
values left out - and matches only those against the subscriber's subscriptions. New alerts
are stored (for the API and the SSE stream) and published to NATS when a server is
configured.

An alert carries the handling codes and grade of the statement that triggered it
(`model.handling_merge.Marking`), so a pushed alert is never handled more loosely than its
data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.access.viewer import DATA_ROLES, NotVisible, Viewer
from palermo.exchange.alert_names import NAME_PROPS, NameSubscription, StatementNames
from palermo.model.handling_merge import Marking
from palermo.model.schemata import model
from palermo.store import directory
from palermo.store.store import Store
from palermo.store.tables import alert, alert_cursor, policy, statement, subscription
from palermo.store.visibility import visible_statements

KINDS = ("entity", "document", "name", "notice-type", "country", "hit")
DOCUMENT_PROPS = {"number", "passportNumber", "documentNumber", "idNumber"}
SCAN_BATCH = 5000


@dataclass(frozen=True)
class Alert:
    id: int
    username: str
    subscription_id: int
    statement_id: str
    entity_id: str
    summary: str
    created_at: datetime
    handling: str = ""  # marking text of the triggering statement (HANDLING|GRADE)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "created_at": self.created_at.isoformat()}


def subscribe(store: Store, viewer: Viewer, kind: str, value: str) -> int:
    viewer.require_data_role("subscribe to alerts")
    if kind not in KINDS:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if not value.strip():
        raise ValueError("value: empty")
    with store.transaction() as conn:
        result = conn.execute(
            sa.insert(subscription).values(
                username=viewer.username,
                kind=kind,
                value=value.strip(),
                created_at=datetime.now(UTC),
            )
        )
        sub_id = _new_id(result)
    store.audit_event(viewer, "alert.subscribe", f"{kind}:{value}", {"subscription": sub_id})
    return sub_id


def subscriptions_of(store: Store, viewer: Viewer) -> list[dict[str, Any]]:
    """The viewer's own subscriptions (nobody lists another user's: they tell what that
    user is watching for)."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(subscription.c.id, subscription.c.kind, subscription.c.value)
            .add_columns(subscription.c.created_at)
            .where(subscription.c.username == viewer.username)
            .order_by(subscription.c.id)
        )
        return [
            {"id": int(r.id), "kind": r.kind, "value": r.value, "created_at": str(r.created_at)}
            for r in rows
        ]


def unsubscribe(store: Store, viewer: Viewer, subscription_id: int) -> None:
    """Delete one of the viewer's own subscriptions; another user's is "not found" (so ids
    of others' subscriptions cannot be probed)."""
    if not 0 < subscription_id < 2**62:  # beyond the id column (and SQLite's integers)
        raise NotVisible(f"subscription_id: you have no subscription {subscription_id}")
    with store.transaction() as conn:
        deleted = conn.execute(
            sa.delete(subscription).where(
                subscription.c.id == subscription_id,
                subscription.c.username == viewer.username,
            )
        ).rowcount
    if not deleted:
        raise NotVisible(f"subscription_id: you have no subscription {subscription_id}")
    store.audit_event(viewer, "alert.unsubscribe", str(subscription_id), {})


def alerts_for(store: Store, viewer: Viewer, after: int = 0, limit: int = 100) -> list[Alert]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(alert, policy.c.canonical)
            .select_from(
                alert.outerjoin(statement, statement.c.id == alert.c.statement_id).outerjoin(
                    policy, policy.c.id == statement.c.policy_id
                )
            )
            .where(alert.c.username == viewer.username, alert.c.id > after)
            .order_by(alert.c.id)
            .limit(limit)
        )
        return [_alert(r._mapping) for r in rows]


def _alert(row: Any) -> Alert:
    created = row["created_at"]
    created = created if created.tzinfo else created.replace(tzinfo=UTC)
    return Alert(
        row["id"],
        row["username"],
        row["subscription_id"],
        row["statement_id"],
        row["entity_id"],
        row["summary"],
        created,
        _marking(row.get("canonical")),
    )


def _marking(canonical: str | None) -> str:
    return Marking.of_policy(canonical).text if canonical else ""


def _key(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def matches(kind: str, wanted: str, schema: str, prop: str, value: str, entity_id: str) -> bool:
    """Does one statement match one subscription? A name matches as person screening
    would match it (`alert_names`, ADR 0056)."""
    if prop == "id":
        return False
    if kind == "entity":
        return wanted in (entity_id, value)
    if kind == "document":
        return prop in DOCUMENT_PROPS and _key(value) == _key(wanted)
    if kind == "name":
        return prop in NAME_PROPS and NameSubscription.of(wanted).matches(prop, value)
    if kind == "notice-type":
        return schema == "Notice" and prop == "noticeType" and value == wanted.lower()
    if kind == "hit":  # deconfliction hits (value "*" or a selector type)
        return schema == "DeconflictionHit" and prop == "selectorType" and wanted in ("*", value)
    if kind == "country":
        schema_obj = model.get(schema)
        p = schema_obj.get(prop) if schema_obj else None
        return p is not None and p.type.name == "country" and value == wanted.lower()
    return False


def scan(store: Store, publish: Callable[[list[Alert]], None] | None = None) -> list[Alert]:
    """Turn statements newer than the cursor into alerts; returns the new alerts.

    Each subscriber's subscriptions are matched only against the statements that
    subscriber reads unmasked, selected by the SQL visibility rule: a raw or masked value
    must never decide an alert, or alerts become an oracle on values the subscriber may
    not read (a subscription on a person id would reveal which victim record names it).
    """
    created: list[Alert] = []
    with store.transaction() as conn:
        cursor = _cursor(conn)
        upper = _batch_end(conn, cursor)
        if upper is None:
            return []
        subs = conn.execute(sa.select(subscription).order_by(subscription.c.id)).all()
        by_user: dict[str, list[Any]] = {}
        for sub in subs:
            by_user.setdefault(sub.username, []).append(sub)
        # name forms of each subscription and of each statement value, once per scan
        wanted = {s.id: NameSubscription.of(s.value) for s in subs if s.kind == "name"}
        names = StatementNames()
        for username, user_subs in by_user.items():
            created += _scan_user(conn, username, user_subs, cursor, upper, wanted, names)
        _set_cursor(conn, upper)
    if created and publish is not None:
        publish(created)
    return created


def _batch_end(conn: Connection, cursor: int) -> int | None:
    """The last seq of the next batch of at most SCAN_BATCH statements after the cursor."""
    batch = (
        sa.select(statement.c.seq)
        .where(statement.c.seq > cursor)
        .order_by(statement.c.seq)
        .limit(SCAN_BATCH)
        .subquery()
    )
    value = conn.execute(sa.select(sa.func.max(batch.c.seq))).scalar()
    return None if value is None else int(value)


def readable_rows(conn: Connection, viewer: Viewer, after: int, upto: int) -> list[Any]:
    """Statements in (after, upto] the viewer may read with their value unmasked, as the
    viewer sees them (its entity ids, its values)."""
    visible = visible_statements(viewer).subquery()
    return list(
        conn.execute(
            sa.select(
                visible.c.id,
                visible.c.entity_id,
                visible.c.schema,
                visible.c.prop,
                visible.c.value,
                visible.c.policy,
            )
            .where(visible.c.seq > after, visible.c.seq <= upto)
            .where(sa.not_(visible.c.masked), visible.c.prop != "id")
            .order_by(visible.c.seq)
        ).all()
    )


def _scan_user(
    conn: Connection,
    username: str,
    subs: list[Any],
    after: int,
    upto: int,
    wanted: dict[int, NameSubscription],
    names: StatementNames,
) -> list[Alert]:
    user = directory.get_user(conn, username)
    if user is None:
        return []
    viewer = user.viewer()
    if viewer.is_system or not viewer.roles & DATA_ROLES:
        return []  # reads nothing, so is alerted about nothing
    rows = readable_rows(conn, viewer, after, upto)
    out: list[Alert] = []
    for sub in subs:
        if sub.kind == "name":
            name = wanted[sub.id]
            hits = [r for r in rows if name.matches(r.prop, r.value, names)]
        else:
            hits = [
                r
                for r in rows
                if matches(sub.kind, sub.value, r.schema, r.prop, r.value, r.entity_id)
            ]
        out += _record(conn, sub, hits)
    return out


def _record(conn: Connection, sub: Any, hits: Iterable[Any]) -> list[Alert]:
    """Store one alert per matching statement; every value in it was readable unmasked."""
    out = []
    now = datetime.now(UTC)
    for hit in hits:
        summary = f"{sub.kind} {sub.value!r}: {hit.schema}.{hit.prop} = {hit.value}"
        result = conn.execute(
            sa.insert(alert).values(
                subscription_id=sub.id,
                username=sub.username,
                statement_id=hit.id,
                entity_id=hit.entity_id,
                summary=summary,
                created_at=now,
            )
        )
        out.append(
            Alert(
                _new_id(result),
                sub.username,
                sub.id,
                hit.id,
                hit.entity_id,
                summary,
                now,
                _marking(hit.policy),
            )
        )
    return out


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _cursor(conn: Connection) -> int:
    value = conn.execute(
        sa.select(alert_cursor.c.seq).where(alert_cursor.c.id == 1).with_for_update()
    ).scalar()
    if value is None:
        conn.execute(sa.insert(alert_cursor).values(id=1, seq=0))
        return 0
    return int(value)


def _set_cursor(conn: Connection, seq: int) -> None:
    conn.execute(sa.update(alert_cursor).where(alert_cursor.c.id == 1).values(seq=seq))


def nats_publisher(url: str, prefix: str = "palermo.alerts") -> Callable[[list[Alert]], None]:
    """Publish each alert as JSON on ``<prefix>.<username>`` (for deployments with NATS)."""
    import asyncio

    import nats

    async def send(alerts: list[Alert]) -> None:
        client = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=1)
        for a in alerts:
            subject = f"{prefix}.{re.sub(r'[^A-Za-z0-9_-]', '_', a.username)}"
            await client.publish(subject, json.dumps(a.to_json()).encode())
        await client.drain()

    def publish(alerts: list[Alert]) -> None:
        asyncio.run(send(alerts))

    return publish
