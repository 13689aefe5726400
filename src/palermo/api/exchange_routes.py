"""API for notices, agency messages and alerts (including a server-sent event stream)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from palermo.access.viewer import Viewer
from palermo.api.auth import current_viewer, store_of
from palermo.api.schemas import MAX_INT, EntityOut
from palermo.exchange import alerts, messages, notices
from palermo.model.sharing import Sharing

router = APIRouter(prefix="/api/v1")
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


class NoticeIn(BaseModel):
    notice_type: str = Field(examples=["yellow"], description="red, yellow, blue, green, ...")
    subject_id: str = Field(examples=["de-bka.p1"])
    reason: str
    scope: str = Field("all", examples=["all", "group:EU"])
    expires: date | None = None
    issuing_country: str | None = None


class Created(BaseModel):
    id: str


class AttachmentIn(BaseModel):
    name: str
    content_base64: str
    mime_type: str | None = None


class MessageIn(BaseModel):
    to_agency: str = Field(examples=["NL-KMAR"])
    subject: str
    body: str
    kind: str = Field("request", examples=["request", "reply", "notification"])
    about: list[str] = []
    in_reply_to: str | None = None
    attachments: list[AttachmentIn] = []


class SubscriptionIn(BaseModel):
    kind: str = Field(examples=["name"], description=", ".join(alerts.KINDS))
    value: str = Field(examples=["Ivan Petrov"])


class AlertOut(BaseModel):
    id: int
    subscription_id: int
    entity_id: str
    statement_id: str
    summary: str
    created_at: str


@router.post("/notices", response_model=Created, tags=["notices"])
def issue_notice(request: Request, viewer: CurrentViewer, body: NoticeIn) -> Created:
    """Issue a notice about an entity, published to all members or to a group."""
    notice_id = notices.issue_notice(
        store_of(request),
        viewer,
        body.notice_type,
        body.subject_id,
        body.reason,
        Sharing.parse(body.scope),
        body.expires,
        body.issuing_country,
    )
    return Created(id=notice_id)


@router.get("/notices", response_model=list[EntityOut], tags=["notices"])
def list_notices(request: Request, viewer: CurrentViewer) -> list[EntityOut]:
    """Active notices visible to the caller."""
    return [EntityOut.of(n) for n in notices.active_notices(store_of(request), viewer)]


@router.post("/notices/{notice_id}/withdraw", tags=["notices"])
def withdraw(request: Request, viewer: CurrentViewer, notice_id: str) -> dict[str, str]:
    """Withdraw one of the caller agency's notices."""
    notices.withdraw_notice(store_of(request), viewer, notice_id)
    return {"status": "withdrawn"}


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


@router.get("/messages", response_model=list[EntityOut], tags=["messages"])
def inbox(request: Request, viewer: CurrentViewer) -> list[EntityOut]:
    """Messages addressed to the caller's agency, newest first."""
    return [EntityOut.of(m) for m in messages.inbox(store_of(request), viewer)]


@router.post("/messages/{message_id}/read", response_model=Created, tags=["messages"])
def read(request: Request, viewer: CurrentViewer, message_id: str) -> Created:
    """Mark a message read; the receipt is shared back with the sender."""
    return Created(id=messages.mark_read(store_of(request), viewer, message_id))


@router.post("/subscriptions", tags=["alerts"])
def subscribe(request: Request, viewer: CurrentViewer, body: SubscriptionIn) -> dict[str, int]:
    """Be alerted when matching data arrives (entity, document, name, notice-type, country)."""
    return {"id": alerts.subscribe(store_of(request), viewer, body.kind, body.value)}


@router.get("/alerts", response_model=list[AlertOut], tags=["alerts"])
def list_alerts(
    request: Request, viewer: CurrentViewer, after: Annotated[int, Query(ge=0, le=MAX_INT)] = 0
) -> list[AlertOut]:
    """The caller's alerts after id AFTER."""
    return [
        AlertOut(**{**a.to_json()}) for a in alerts.alerts_for(store_of(request), viewer, after)
    ]


@router.get("/alerts/stream", tags=["alerts"])
async def stream(
    request: Request,
    viewer: CurrentViewer,
    after: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
    poll: Annotated[float, Query(gt=0, le=10)] = 0.25,
) -> StreamingResponse:
    """Server-sent events: one `alert` event per new alert, as it is raised."""
    store = store_of(request)

    async def events() -> AsyncIterator[str]:
        last = after
        yield ": connected\n\n"
        while not await request.is_disconnected():
            found = await asyncio.to_thread(alerts.alerts_for, store, viewer, last)
            for a in found:
                last = a.id
                yield f"id: {a.id}\nevent: alert\ndata: {json.dumps(a.to_json())}\n\n"
            await asyncio.sleep(poll)

    return StreamingResponse(events(), media_type="text/event-stream")
