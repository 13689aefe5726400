"""Subscriptions and alerts: tell users as soon as matching data arrives.

A scanner reads statements newer than its cursor (written here or received from peers),
matches them against every subscription, and keeps a match only if the subscriber may see
that statement - checked by the same SQL visibility rule as every read. New alerts are
stored (for the API and the SSE stream) and published to NATS when a server is configured.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from normality import normalize
from sqlalchemy.engine import Connection

from palermo.access.viewer import Viewer
from palermo.model.schemata import model
from palermo.store import directory
from palermo.store.store import Store
from palermo.store.tables import alert, alert_cursor, statement, subscription
from palermo.store.visibility import visible_statements

KINDS = ("entity", "document", "name", "notice-type", "country", "hit")
DOCUMENT_PROPS = {"number", "passportNumber", "documentNumber", "idNumber"}
NAME_PROPS = {"name", "alias", "weakAlias", "previousName", "firstName", "lastName"}
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


def alerts_for(store: Store, viewer: Viewer, after: int = 0, limit: int = 100) -> list[Alert]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(alert)
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
    )


def _key(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def _tokens(text: str) -> set[str]:
    return set((normalize(text, latinize=True) or "").split())


def matches(kind: str, wanted: str, schema: str, prop: str, value: str, entity_id: str) -> bool:
    """Does one statement match one subscription?"""
    if prop == "id":
        return False
    if kind == "entity":
        return wanted in (entity_id, value)
    if kind == "document":
        return prop in DOCUMENT_PROPS and _key(value) == _key(wanted)
    if kind == "name":
        want = _tokens(wanted)
        return prop in NAME_PROPS and bool(want) and want <= _tokens(value)
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
    """Turn statements newer than the cursor into alerts; returns the new alerts."""
    created: list[Alert] = []
    with store.transaction() as conn:
        cursor = _cursor(conn)
        rows = conn.execute(
            sa.select(
                statement.c.seq,
                statement.c.id,
                statement.c.entity_id,
                statement.c.schema,
                statement.c.prop,
                statement.c.value,
            )
            .where(statement.c.seq > cursor, statement.c.retracted.is_(False))
            .order_by(statement.c.seq)
            .limit(SCAN_BATCH)
        ).all()
        if not rows:
            return []
        subs = conn.execute(sa.select(subscription)).all()
        for sub in subs:
            hits = [
                r
                for r in rows
                if matches(sub.kind, sub.value, r.schema, r.prop, r.value, r.entity_id)
            ]
            if hits:
                created += _record(conn, sub, hits)
        _set_cursor(conn, rows[-1].seq)
    if created and publish is not None:
        publish(created)
    return created


def _record(conn: Connection, sub: Any, hits: Iterable[Any]) -> list[Alert]:
    user = directory.get_user(conn, sub.username)
    if user is None:
        return []
    by_id = {h.id: h for h in hits}
    visible = visible_statements(user.viewer()).subquery()
    allowed = conn.execute(
        sa.select(visible.c.id, visible.c.value).where(visible.c.id.in_(list(by_id)))
    ).all()
    out = []
    now = datetime.now(UTC)
    for stmt_id, shown in allowed:
        hit = by_id[stmt_id]
        summary = f"{sub.kind} {sub.value!r}: {hit.schema}.{hit.prop} = {shown}"
        result = conn.execute(
            sa.insert(alert).values(
                subscription_id=sub.id,
                username=sub.username,
                statement_id=stmt_id,
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
                stmt_id,
                hit.entity_id,
                summary,
                now,
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
