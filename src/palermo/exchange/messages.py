"""Secure agency-to-agency messages with attachments and read receipts.

A message is an ``AgencyMessage`` entity shared with the recipient agency only; its
attachments share its policy; the recipient's read receipt is shared back with the sender.
All three travel through exchange like any other statement.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime

from palermo.access.viewer import Viewer
from palermo.ingest.build import new_entity_id, write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.views import Entity

MAX_ATTACHMENT = 5 * 1024 * 1024


@dataclass(frozen=True)
class FileAttachment:
    name: str
    content: bytes
    mime_type: str | None = None


def send_message(
    store: Store,
    viewer: Viewer,
    to_agency: str,
    subject: str,
    body: str,
    kind: str = "request",
    about: list[str] | None = None,
    in_reply_to: str | None = None,
    attachments: list[FileAttachment] | None = None,
) -> str:
    if to_agency == viewer.agency:
        raise ValueError("to_agency: a message goes to another agency")
    if not any(a.code == to_agency for a in store.agencies()):
        raise ValueError(f"to_agency: no agency {to_agency!r}")
    sharing = Sharing.parse(to_agency)
    message_id = new_entity_id(viewer.agency, "msg")
    props: dict[str, str | list[str]] = {
        "fromAgency": viewer.agency,
        "toAgency": to_agency,
        "fromUser": viewer.username,
        "subject": subject,
        "bodyText": body,
        "messageKind": kind,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "about": about or [],
    }
    if in_reply_to:
        props["inReplyTo"] = in_reply_to
    write_entity(store, viewer, "AgencyMessage", props, sharing, entity_id=message_id)
    for attachment in attachments or []:
        _attach(store, viewer, message_id, attachment, sharing)
    return message_id


def _attach(
    store: Store, viewer: Viewer, message_id: str, file: FileAttachment, sharing: Sharing
) -> None:
    if len(file.content) > MAX_ATTACHMENT:
        raise ValueError(f"attachments: {file.name} is larger than {MAX_ATTACHMENT} bytes")
    mime = file.mime_type or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    write_entity(
        store,
        viewer,
        "Attachment",
        {
            "message": message_id,
            "fileName": file.name,
            "mimeType": mime,
            "contentBase64": base64.b64encode(file.content).decode("ascii"),
            "contentHash": hashlib.sha1(file.content).hexdigest(),
        },
        sharing,
        kind="att",
    )


def inbox(store: Store, viewer: Viewer) -> list[Entity]:
    """Messages addressed to the viewer's agency, newest first."""
    found = store.entities(viewer, schema="AgencyMessage", limit=10_000)
    mine = [m for m in found if viewer.agency in m.values("toAgency")]
    return sorted(mine, key=lambda m: m.first("date") or "", reverse=True)


def attachments_of(store: Store, viewer: Viewer, message_id: str) -> list[FileAttachment]:
    found = store.entities(viewer, schema="Attachment", limit=10_000)
    out = []
    for a in found:
        # an attachment whose content the read's purpose withholds (H0) is not handed out
        if message_id in a.values("message") and "contentBase64" not in a.withheld:
            content = base64.b64decode(a.first("contentBase64") or "")
            out.append(FileAttachment(a.first("fileName") or "file", content, a.first("mimeType")))
    return out


def mark_read(store: Store, viewer: Viewer, message_id: str) -> str:
    """Write the read receipt, shared back with the sending agency."""
    message = store.entity(viewer, message_id)
    if message is None or viewer.agency not in message.values("toAgency"):
        raise ValueError(f"message_id: no message {message_id!r} for {viewer.agency}")
    sender = message.first("fromAgency") or ""
    return write_entity(
        store,
        viewer,
        "MessageReceipt",
        {
            "message": message_id,
            "readBy": f"{viewer.username}@{viewer.agency}",
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        Sharing.parse(sender),
        kind="receipt",
    )


def receipts(store: Store, viewer: Viewer, message_id: str) -> list[str]:
    found = store.entities(viewer, schema="MessageReceipt", limit=10_000)
    return [r.first("readBy") or "" for r in found if message_id in r.values("message")]
