"""API for notices, agency messages and alerts (including a server-sent event stream)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import threading
import time
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from palermo.access.viewer import Viewer
from palermo.api.auth import app_cache, current_viewer, store_of
from palermo.api.problems import problem
from palermo.api.read_purpose import DeclaredPurpose
from palermo.api.schemas import ID, LINE, MAX_INT, MAX_ITEMS, SHORT, TEXT, EntityOut, Page
from palermo.exchange import alert_purpose, alerts, messages, notices
from palermo.ingest.audiences import checked_sharing
from palermo.store.store import Store
from palermo.store.tables import subscription

router = APIRouter(prefix="/api/v1")
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
MAX_ATTACHMENTS = 5  # per message, each at most messages.MAX_ATTACHMENT bytes
MAX_SUBSCRIPTIONS = 100  # per user: every scan matches each subscription against new data
# Alert stream: a floor on the poll interval (one connection must not busy-loop a core), a
# cap on how long one connection lives (EventSource reconnects, resuming at Last-Event-ID)
# and on how many one user holds open at once.
MIN_POLL, MAX_POLL = 0.5, 10.0
STREAM_SECONDS = 300.0
MAX_STREAMS_PER_USER = 3


class NoticeIn(BaseModel):
    notice_type: str = Field(
        examples=["yellow"], description="red, yellow, blue, green, ...", max_length=SHORT
    )
    subject_id: str = Field(examples=["de-bka.p1"], max_length=ID)
    reason: str = Field(max_length=TEXT)
    scope: str = Field("all", examples=["all", "group:EU", "NL-KMAR|no-onward"], max_length=LINE)
    expires: date | None = None
    issuing_country: str | None = Field(None, max_length=SHORT)


class Created(BaseModel):
    id: str


class AttachmentIn(BaseModel):
    name: str = Field(max_length=LINE)
    # base64 of at most messages.MAX_ATTACHMENT bytes (4 characters per 3 bytes)
    content_base64: str = Field(max_length=4 * (messages.MAX_ATTACHMENT // 3 + 1))
    mime_type: str | None = Field(None, max_length=SHORT)


class MessageIn(BaseModel):
    to_agency: str = Field(examples=["NL-KMAR"], max_length=SHORT)
    subject: str = Field(max_length=LINE)
    body: str = Field(max_length=TEXT)
    kind: str = Field("request", examples=["request", "reply", "notification"], max_length=SHORT)
    about: list[Annotated[str, Field(max_length=ID)]] = Field([], max_length=MAX_ITEMS)
    in_reply_to: str | None = Field(None, max_length=ID)
    attachments: list[AttachmentIn] = Field([], max_length=MAX_ATTACHMENTS)


class SubscriptionIn(BaseModel):
    kind: str = Field(examples=["name"], description=", ".join(alerts.KINDS), max_length=SHORT)
    value: str = Field(examples=["Ivan Petrov"], min_length=1, max_length=LINE)


class AlertOut(BaseModel):
    id: int
    subscription_id: int
    entity_id: str
    statement_id: str
    summary: str = Field(
        description="What matched; a value stated (H0) for other purposes than the read's "
        "is replaced by the withheld marker (ADR 0051)"
    )
    created_at: str
    withheld: dict[str, list[str]] = Field(
        default_factory=dict,
        description="prop -> agencies whose value was left out of the summary (H0)",
    )


@router.post("/notices", response_model=Created, tags=["notices"])
def issue_notice(request: Request, viewer: CurrentViewer, body: NoticeIn) -> Created:
    """Issue a notice about an entity the caller can see (officer or supervisor).

    Red and yellow notices issued by an officer are `requested` until a supervisor of the
    agency approves them (`POST /notices/{id}/approve`); only active notices flag screening."""
    notice_id = notices.issue_notice(
        store_of(request),
        viewer,
        body.notice_type,
        body.subject_id,
        body.reason,
        checked_sharing(store_of(request), body.scope, "scope"),
        body.expires,
        body.issuing_country,
    )
    return Created(id=notice_id)


Limit = Annotated[int, Query(ge=1, le=500, description="Entries per page")]
Offset = Annotated[int, Query(ge=0, le=MAX_INT, description="Entries to skip")]


def list_page(items: list[Any], limit: int, offset: int) -> Page:
    """One page of a list already filtered and ordered, in the contract of every other
    list (`/entities`, `/cases`, ...): `next_offset` is null on the last page."""
    return Page(
        results=[EntityOut.of(e) for e in items[offset : offset + limit]],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if len(items) > offset + limit else None,
    )


@router.get("/notices", response_model=Page, tags=["notices"])
def list_notices(
    request: Request,
    viewer: CurrentViewer,
    limit: Limit = 50,
    offset: Offset = 0,
    purpose: DeclaredPurpose = "",
) -> Page:
    """Active notices visible to the caller, for the declared purpose (H0); paginated
    (`next_offset` is null on the last page)."""
    store = store_of(request).for_purpose(purpose)
    return list_page(notices.active_notices(store, viewer), limit, offset)


@router.post("/notices/{notice_id}/withdraw", tags=["notices"])
def withdraw(request: Request, viewer: CurrentViewer, notice_id: str) -> dict[str, str]:
    """Withdraw one of the caller agency's notices (officer or supervisor)."""
    notices.withdraw_notice(store_of(request), viewer, notice_id)
    return {"status": "withdrawn"}


@router.post("/notices/{notice_id}/approve", tags=["notices"])
def approve(request: Request, viewer: CurrentViewer, notice_id: str) -> dict[str, str]:
    """Approve a requested red or yellow notice of the caller's agency (supervisor)."""
    notices.approve_notice(store_of(request), viewer, notice_id)
    return {"status": notices.ACTIVE}


@router.post("/messages", response_model=Created, tags=["messages"])
def send(request: Request, viewer: CurrentViewer, body: MessageIn) -> Created:
    """Send a secure message (with attachments) to another agency."""
    files = []
    for i, a in enumerate(body.attachments):
        try:
            content = base64.b64decode(a.content_base64, validate=True)
        except binascii.Error:
            raise ValueError(f"attachments.{i}.content_base64: not valid base64") from None
        files.append(messages.FileAttachment(a.name, content, a.mime_type))
    message_id = messages.send_message(
        store_of(request),
        viewer,
        body.to_agency,
        body.subject,
        body.body,
        body.kind,
        body.about,
        body.in_reply_to,
        files,
    )
    return Created(id=message_id)


@router.get("/messages", response_model=Page, tags=["messages"])
def inbox(
    request: Request,
    viewer: CurrentViewer,
    limit: Limit = 50,
    offset: Offset = 0,
    purpose: DeclaredPurpose = "",
) -> Page:
    """Messages addressed to the caller's agency, newest first, for the declared purpose
    (H0); paginated (`next_offset` is null on the last page)."""
    store = store_of(request).for_purpose(purpose)
    return list_page(messages.inbox(store, viewer), limit, offset)


@router.post("/messages/{message_id}/read", response_model=Created, tags=["messages"])
def read(request: Request, viewer: CurrentViewer, message_id: str) -> Created:
    """Mark a message read; the receipt is shared back with the sender."""
    return Created(id=messages.mark_read(store_of(request), viewer, message_id))


@router.post("/subscriptions", tags=["alerts"])
def subscribe(request: Request, viewer: CurrentViewer, body: SubscriptionIn) -> dict[str, int]:
    """Be alerted when matching data arrives (entity, document, name, notice-type, country);
    at most MAX_SUBSCRIPTIONS per user (400 naming `subscriptions` beyond that)."""
    store = store_of(request)
    if subscription_count(store, viewer.username) >= MAX_SUBSCRIPTIONS:
        raise ValueError(
            f"subscriptions: {viewer.username} already has the maximum of "
            f"{MAX_SUBSCRIPTIONS} subscriptions"
        )
    return {"id": alerts.subscribe(store, viewer, body.kind, body.value)}


@router.get("/subscriptions", tags=["alerts"])
def list_subscriptions(request: Request, viewer: CurrentViewer) -> list[dict[str, Any]]:
    """The caller's own subscriptions (id, kind, value, created_at)."""
    return alerts.subscriptions_of(store_of(request), viewer)


@router.delete("/subscriptions/{subscription_id}", tags=["alerts"])
def delete_subscription(
    request: Request,
    viewer: CurrentViewer,
    subscription_id: Annotated[int, Path(ge=1, le=MAX_INT)],
) -> dict[str, str]:
    """Delete one of the caller's own subscriptions (404 for anyone else's)."""
    alerts.unsubscribe(store_of(request), viewer, subscription_id)
    return {"status": "deleted"}


def subscription_count(store: Store, username: str) -> int:
    with store.engine.connect() as conn:
        query = sa.select(sa.func.count()).where(subscription.c.username == username)
        return int(conn.execute(query.select_from(subscription)).scalar_one())


@router.get("/alerts", response_model=list[AlertOut], tags=["alerts"])
def list_alerts(
    request: Request,
    viewer: CurrentViewer,
    purpose: DeclaredPurpose,
    after: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> list[AlertOut]:
    """The caller's alerts after id AFTER (audited: their summaries carry values), read for
    the declared purpose: a summary's value stated (H0) for other purposes is withheld."""
    store = store_of(request)
    found, held = purpose_alerts(store, viewer, alerts.alerts_for(store, viewer, after), purpose)
    detail = alerts_detail(found, purpose, held)
    store.audit_event(viewer, "alerts.read", f"after {after}", detail)
    return [alert_out(a, held) for a in found]


def purpose_alerts(
    store: Store, viewer: Viewer, found: list[alerts.Alert], purpose: str
) -> tuple[list[alerts.Alert], dict[int, dict[str, list[str]]]]:
    """The alerts with their summaries as ``purpose`` may show them (`alert_purpose`), and
    alert id -> what was left out of its summary."""
    shown, held = alert_purpose.for_purpose(store, viewer, found, purpose)
    return shown, {h.alert.id: h.withheld for h in held}


def alert_out(a: alerts.Alert, held: dict[int, dict[str, list[str]]]) -> AlertOut:
    return AlertOut(**{**a.to_json(), "withheld": held.get(a.id, {})})


def alerts_detail(
    found: list[alerts.Alert], purpose: str, held: dict[int, dict[str, list[str]]]
) -> dict[str, Any]:
    """What an alert read returned: alert ids and the entities they are about, the read's
    purpose and the alerts whose summary left a value out."""
    return {
        "alerts": [a.id for a in found],
        "entities": sorted({a.entity_id for a in found}),
        "purpose": purpose or None,
        "withheld": sorted(held),
    }


class StreamSlots:
    """Open alert streams per user, so one user cannot hold unbounded connections.

    A slot is given back when its stream ends; one whose stream never started (the client
    left before the first byte) lapses after the longest a stream may live."""

    def __init__(self, limit: int = MAX_STREAMS_PER_USER, lifetime: float = STREAM_SECONDS):
        self.limit = limit
        self.lifetime = lifetime + 30.0
        self._open: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def take(self, username: str) -> float | None:
        """A slot (its start time), or None when the user has all slots in use."""
        now = time.monotonic()
        with self._lock:
            live = [t for t in self._open.get(username, []) if now - t < self.lifetime]
            if len(live) >= self.limit:
                self._open[username] = live
                return None
            self._open[username] = [*live, now]
            return now

    def give_back(self, username: str, slot: float) -> None:
        with self._lock:
            live = self._open.get(username, [])
            if slot in live:
                live.remove(slot)
            if not live:
                self._open.pop(username, None)


def resume_point(request: Request, after: int) -> int:
    """Where to resume: `after`, or the `Last-Event-ID` an EventSource sends on reconnect."""
    last = request.headers.get("last-event-id", "")
    return max(after, int(last)) if last.isdigit() and int(last) <= MAX_INT else after


@router.get("/alerts/stream", tags=["alerts"])
async def stream(
    request: Request,
    viewer: CurrentViewer,
    purpose: DeclaredPurpose,
    after: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
    poll: Annotated[float, Query(ge=MIN_POLL, le=MAX_POLL)] = 1.0,
) -> Response:
    """Server-sent events: one `alert` event per new alert, as it is raised.

    `poll` is at least 0.5 s; a connection closes after 5 minutes (the browser reconnects
    and resumes after the last event id); a user holds at most 3 streams at once (429).
    Opening the stream and every batch of alerts sent are audited."""
    store = store_of(request)
    slots = app_cache(request, "alert_streams", lambda _: StreamSlots())
    slot = slots.take(viewer.username)
    if slot is None:
        return problem(
            429,
            "Too many streams",
            f"alerts/stream: {viewer.username} already has {slots.limit} streams open",
            field="alerts/stream",
        )
    start = resume_point(request, after)
    await store.audit_event_async(viewer, "alerts.stream", f"after {start}", {"poll": poll})

    async def events() -> AsyncIterator[str]:
        last, deadline = start, time.monotonic() + STREAM_SECONDS
        try:
            yield f"retry: {int(MIN_POLL * 1000) * 4}\n: connected\n\n"
            while time.monotonic() < deadline and not await request.is_disconnected():
                raw = await asyncio.to_thread(alerts.alerts_for, store, viewer, last)
                found, held = await asyncio.to_thread(purpose_alerts, store, viewer, raw, purpose)
                if found:
                    detail = alerts_detail(found, purpose, held)
                    await store.audit_event_async(viewer, "alerts.read", "stream", detail)
                for a in found:
                    last = a.id
                    data = json.dumps({**a.to_json(), "withheld": held.get(a.id, {})})
                    yield f"id: {a.id}\nevent: alert\ndata: {data}\n\n"
                await asyncio.sleep(poll)
        finally:
            slots.give_back(viewer.username, slot)

    return StreamingResponse(events(), media_type="text/event-stream")
