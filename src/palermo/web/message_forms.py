"""Agency messages in the browser: write one (with attachments), read one, download its files.

Sending calls `messages.send_message` (as the API's POST /api/v1/messages), as the logged-in
user: the message and its attachments are shared with the recipient agency only. Reading a
message is `store.entity` as the viewer (what the API's inbox returns), so a message of
another agency is "not found"; attachments are served as downloads (never rendered inline:
a file from another agency must not run as a page of this site). Opening a message
addressed to your agency writes the read receipt back to the sender (`messages.mark_read`,
as POST /messages/{id}/read). Every POST carries the session's CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.api.auth import store_of
from palermo.api.exchange_routes import MAX_ATTACHMENTS
from palermo.api.read_purpose import session_purpose, session_store
from palermo.api.schemas import ID, LINE, MAX_ITEMS, SHORT, TEXT
from palermo.exchange import messages
from palermo.store.views import Entity
from palermo.web.coord_form_kit import (
    FieldError,
    Refusal,
    form_data,
    ids_of,
    refused_page,
    signed_in,
    text,
    to_login,
    with_status,
)
from palermo.web.csrf import csrf_protect
from palermo.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
KINDS = ("request", "reply", "notification")
FIELDS = ("to_agency", "subject", "body", "kind", "about", "attachments")


Posted = Annotated[FormData, Depends(form_data)]


@dataclass
class Letter:
    """The message form's values, as typed (attachments are not kept on a refusal)."""

    to_agency: str = ""
    subject: str = ""
    body: str = ""
    kind: str = "request"
    about: str = ""
    in_reply_to: str = ""
    files: list[UploadFile] = field(default_factory=list)

    @classmethod
    def of(cls, form: FormData) -> Letter:
        files = [f for f in form.getlist("attachments") if isinstance(f, UploadFile) and f.filename]
        return cls(
            text(form, "to_agency"),
            text(form, "subject"),
            text(form, "body"),
            text(form, "kind") or "request",
            text(form, "about"),
            text(form, "in_reply_to"),
            files,
        )

    def check(self) -> None:
        """The API model's limits and the fields a message cannot go without."""
        if not self.to_agency:
            raise FieldError("to_agency: choose the agency to write to")
        if not self.subject:
            raise FieldError("subject: give the message a subject")
        if not self.body:
            raise FieldError("body: write the message")
        limits = {"to_agency": SHORT, "subject": LINE, "body": TEXT, "in_reply_to": ID}
        for name, limit in limits.items():
            if len(getattr(self, name)) > limit:
                raise FieldError(f"{name}: longer than {limit} characters")
        if self.kind not in KINDS:
            raise FieldError(f"kind: {self.kind[:40]!r} is not one of {', '.join(KINDS)}")
        about = ids_of(self.about)
        if len(about) > MAX_ITEMS or any(len(a) > ID for a in about):
            raise FieldError(f"about: at most {MAX_ITEMS} ids of {ID} characters")
        if len(self.files) > MAX_ATTACHMENTS:
            raise FieldError(f"attachments: at most {MAX_ATTACHMENTS} files")
        for f in self.files:
            if len(f.filename or "") > LINE:
                raise FieldError(f"attachments: a file name is longer than {LINE} characters")
            if (f.size or 0) > messages.MAX_ATTACHMENT:
                raise FieldError(
                    f"attachments: {f.filename} is larger than {messages.MAX_ATTACHMENT} bytes"
                )

    async def attachments(self) -> list[messages.FileAttachment]:
        out = []
        for f in self.files:
            content = await f.read(messages.MAX_ATTACHMENT + 1)
            mime = (f.content_type or "")[:SHORT] or None
            out.append(messages.FileAttachment(f.filename or "file", content, mime))
        return out


@router.get("/messages/new", response_class=HTMLResponse)
def new_message(
    request: Request, to: str = "", about: str = "", reply_to: str = "", sent: str = ""
) -> Response:
    """The empty message; ``?to=``, ``?about=`` and ``?reply_to=`` fill it in, ``?sent=``
    says the last one went."""
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    values = Letter(to_agency=to[:SHORT], about=about[:ID], in_reply_to=reply_to[:ID])
    if values.in_reply_to:
        purpose = session_purpose(request)  # the reply quotes what the session may read
        original = store_of(request).entity(viewer, values.in_reply_to, purpose=purpose)
        if original is not None and original.schema == "AgencyMessage":
            values.to_agency = original.first("fromAgency") or values.to_agency
            values.subject = "Re: " + (original.first("subject") or "")
            values.kind = "reply"
    return _form(request, viewer, values, {}, sent[:ID])


@router.post("/messages/new", response_class=HTMLResponse)
async def send(request: Request, form: Posted) -> Response:
    """Send (`messages.send_message`); on success the empty form again, saying it went.
    The uploads are read here; the checks and the store write run in the thread pool (as
    the synchronous routes do), not on the event loop."""
    values = Letter.of(form)
    files = await values.attachments() if len(values.files) <= MAX_ATTACHMENTS else []
    return await run_in_threadpool(_send, request, values, files)


def _send(request: Request, values: Letter, files: list[messages.FileAttachment]) -> Response:
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    store = store_of(request)
    try:
        values.check()
        about = ids_of(values.about)
        for entity_id in about:  # what the message is about: records the sender can see
            if store.entity(viewer, entity_id, purpose=None) is None:  # a check: every value
                raise FieldError(f"about: no visible record {entity_id[:80]!r}")
        message_id = messages.send_message(
            store,
            viewer,
            values.to_agency,
            values.subject,
            values.body,
            values.kind,
            about,
            values.in_reply_to or None,
            files,
        )
    except (AccessDenied, NotVisible) as exc:
        return refused_page(request, exc)
    except ValueError as exc:
        refusal = Refusal.of(exc, FIELDS)
        return with_status(_form(request, viewer, values, refusal.errors(), ""), 422)
    return RedirectResponse(f"/messages/new?sent={quote(message_id, safe='')}", status_code=303)


def _form(
    request: Request, viewer: Viewer, values: Letter, errors: dict[str, str], sent: str
) -> HTMLResponse:
    store = store_of(request)
    partners = [a for a in store.agencies() if a.code != viewer.agency]
    message = store.entity(viewer, sent, purpose=session_purpose(request)) if sent else None
    if message is not None and message.schema != "AgencyMessage":
        message = None
    return page(
        request,
        "message_form.html",
        values=values,
        errors=errors,
        partners=partners,
        kinds=KINDS,
        sent=message,
        max_files=MAX_ATTACHMENTS,
        max_bytes=messages.MAX_ATTACHMENT,
    )


# --- reading ------------------------------------------------------------------------------


def _message(request: Request, viewer: Viewer, message_id: str) -> Entity:
    """The message as the session's purpose may show it (H0, ADR 0051)."""
    found = store_of(request).entity(viewer, message_id, purpose=session_purpose(request))
    if found is None or found.schema != "AgencyMessage":
        raise NotVisible(f"message_id: no visible message {message_id!r}")
    return found


@router.get("/messages/{message_id:path}/attachments/{index}")
def attachment(request: Request, message_id: str, index: int) -> Response:
    """One attachment of a message the viewer can see, as a download."""
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    try:
        found = _message(request, viewer, message_id)
        files = _files(request, viewer, found.id)
        if not 0 <= index < len(files):
            raise NotVisible(f"attachment: no attachment {index} of {message_id!r}")
    except NotVisible as exc:
        return refused_page(request, exc, message_id)
    file = files[index]
    name = quote(file.name, safe="")
    return Response(
        file.content,
        media_type="application/octet-stream",
        headers={
            "content-disposition": f"attachment; filename*=UTF-8''{name}",
            "x-content-type-options": "nosniff",
        },
    )


@router.get("/messages/{message_id:path}", response_class=HTMLResponse)
def read_message(request: Request, message_id: str) -> Response:
    """The message with its attachments; opened by its recipient agency, the read receipt
    goes back to the sender once per reader."""
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    store = session_store(request)  # what the page shows: for the session's purpose
    try:
        found = _message(request, viewer, message_id)
    except NotVisible as exc:
        return refused_page(request, exc, message_id)
    receipts = messages.receipts(store, viewer, found.id)
    reader = f"{viewer.username}@{viewer.agency}"
    addressed = store_of(request).entity(viewer, found.id, purpose=None)  # on every value
    to_us = addressed is not None and viewer.agency in addressed.values("toAgency")
    if to_us and reader not in receipts:
        messages.mark_read(store_of(request), viewer, found.id)
    files = _files(request, viewer, found.id)
    return page(
        request,
        "message_view.html",
        message=found,
        files=files,
        receipts=messages.receipts(store, viewer, found.id),
        received=viewer.agency in found.values("toAgency"),
    )


def _files(request: Request, viewer: Viewer, message_id: str) -> list[messages.FileAttachment]:
    """The message's attachments by name: the order the page lists and numbers them in."""
    found = messages.attachments_of(session_store(request), viewer, message_id)
    return sorted(found, key=lambda f: (f.name, f.content))
