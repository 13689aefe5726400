"""Notices in the browser: issue one about a person you can see, withdraw your own.

Issuing calls `notices.issue_notice` with the sharing parsed by `checked_sharing` (as the
API's POST /api/v1/notices), withdrawing calls `notices.withdraw_notice` (as POST
/notices/{id}/withdraw), as the logged-in user: officers and supervisors issue, a red or
yellow notice of an officer waits for a supervisor, and only the issuing agency withdraws
(another agency gets 403, one that cannot see the notice 404). The subject is picked from
persons the viewer can see. Every POST carries the session's CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.api.auth import store_of
from palermo.api.read_purpose import session_store
from palermo.api.schemas import ID, LINE, SHORT, TEXT
from palermo.exchange import notices
from palermo.ingest.audiences import checked_sharing
from palermo.web.coord_form_kit import (
    FieldError,
    Refusal,
    form_data,
    person_choices,
    refused_page,
    signed_in,
    text,
    to_login,
    visible_persons,
    with_status,
)
from palermo.web.csrf import csrf_protect
from palermo.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
FIELDS = ("notice_type", "subject", "reason", "scope", "expires", "issuing_country", "find")
MEANINGS = {
    "red": "wanted: locate and arrest",
    "yellow": "missing person or possible victim",
    "blue": "more information on identity or activities",
    "green": "warning about criminal activities",
    "purple": "modus operandi, objects, devices",
    "orange": "imminent threat",
    "black": "unidentified body",
}


Posted = Annotated[FormData, Depends(form_data)]


@dataclass
class NoticeDraft:
    """The notice form's values, as typed."""

    notice_type: str = ""
    subject: str = ""
    reason: str = ""
    scope: str = "all"
    expires: str = ""
    issuing_country: str = ""
    find: str = ""

    @classmethod
    def of(cls, form: FormData) -> NoticeDraft:
        return cls(*(text(form, name) for name in FIELDS))

    def check(self, today: date) -> date | None:
        """The API model's limits, the fields a notice cannot go without; the end date."""
        if not self.notice_type:
            raise FieldError("notice_type: choose the kind of notice")
        if not self.subject:
            raise FieldError("subject: pick the person the notice is about")
        if not self.reason:
            raise FieldError("reason: say why the notice is issued")
        limits = {"subject": ID, "reason": TEXT, "scope": LINE, "issuing_country": SHORT}
        for name, limit in limits.items():
            if len(getattr(self, name)) > limit:
                raise FieldError(f"{name}: longer than {limit} characters")
        if not self.expires:
            return None
        try:
            end = date.fromisoformat(self.expires)
        except ValueError:
            raise FieldError(f"expires: {self.expires[:40]!r} is not a date (YYYY-MM-DD)") from None
        if end < today:
            raise FieldError(f"expires: {end.isoformat()} is in the past")
        return end


@router.get("/notices/new", response_class=HTMLResponse)
def new_notice(request: Request, subject: str = "", find: str = "") -> Response:
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    own = next((a for a in store_of(request).agencies() if a.code == viewer.agency), None)
    values = NoticeDraft(subject=subject[:ID], find=find[:LINE])
    values.issuing_country = own.country if own else ""
    return _form(request, viewer, values, {})


@router.post("/notices/new", response_class=HTMLResponse)
def issue(request: Request, form: Posted) -> Response:
    """Issue the notice; "Find persons" only looks persons up and shows the form again."""
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    values = NoticeDraft.of(form)
    if text(form, "do") == "find":
        return _form(request, viewer, values, {})
    store = store_of(request)
    try:
        expires = values.check(datetime.now(UTC).date())
        visible_persons(store, viewer, [values.subject], "subject")
        sharing = checked_sharing(store, values.scope or "all", "scope")
        notices.issue_notice(
            store,
            viewer,
            values.notice_type,
            values.subject,
            values.reason,
            sharing,
            expires,
            values.issuing_country.upper() or None,
        )
    except NotVisible as exc:  # the subject: said next to it (no more than the API's 404)
        return _refused(request, viewer, values, FieldError(str(exc), "subject"))
    except AccessDenied as exc:
        return refused_page(request, exc)
    except ValueError as exc:
        return _refused(request, viewer, values, exc)
    return RedirectResponse("/notices", status_code=303)


def _refused(request: Request, viewer: Viewer, values: NoticeDraft, exc: Exception) -> Response:
    refusal = Refusal.of(exc, FIELDS, lambda name: "subject" if name == "subject_id" else name)
    return with_status(_form(request, viewer, values, refusal.errors()), 422)


def _form(
    request: Request, viewer: Viewer, values: NoticeDraft, errors: dict[str, str]
) -> HTMLResponse:
    chosen = [values.subject] if values.subject else []
    choices, find_error = person_choices(session_store(request), viewer, values.find, chosen)
    if find_error and "find" not in errors:
        errors = {**errors, "find": find_error}
    return page(
        request,
        "notice_form.html",
        values=values,
        errors=errors,
        choices=choices,
        types=notices.NOTICE_TYPES,
        meanings=MEANINGS,
        reviewed=notices.REVIEWED_TYPES,
    )


@router.post("/notices/{notice_id:path}/withdraw", response_class=HTMLResponse)
def withdraw(request: Request, notice_id: str) -> Response:
    """Withdraw one of the agency's notices (the issuer only: 403 for another agency)."""
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    try:
        notices.withdraw_notice(store_of(request), viewer, notice_id[:ID])
    except (AccessDenied, NotVisible) as exc:
        return refused_page(request, exc, notice_id)
    return RedirectResponse("/notices", status_code=303)


@router.post("/notices/{notice_id:path}/approve", response_class=HTMLResponse)
def approve(request: Request, notice_id: str) -> Response:
    """A supervisor of the issuing agency approves a requested notice (`notices.approve_notice`,
    as the API: four eyes, an officer's red or yellow notice waits for this)."""
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    try:
        notices.approve_notice(store_of(request), viewer, notice_id[:ID])
    except (AccessDenied, NotVisible) as exc:
        return refused_page(request, exc, notice_id)
    except ValueError as exc:  # not (or no longer) waiting for approval
        text = str(exc).splitlines()[0]
        response = page(request, "message.html", title="Not approved", text=text)
        response.status_code = 409
        return response
    return RedirectResponse("/notices", status_code=303)
