"""Record a court outcome in the browser, from the suspect's profile (issue 20).

A prosecutor looks at the person, not at a case: the profile's "Record court outcome" opens
this form with the defendant filled in. It posts to `coordination.court.record_court_outcome`,
the function `POST /api/v1/court-outcomes` calls, as the logged-in user: the same checks
(verdict and ICCS code from the schema's lists, the verdict date not before the prosecution
date, the defendant one of the agency's own person records), each refusal shown next to the
field it names with the values as typed (422). The record is written as the user's agency,
shared with it alone unless the optional audience says otherwise; every POST carries the
session's CSRF token (router dependency); the write is audited as every store write.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.api.auth import optional_viewer, store_of
from palermo.api.read_purpose import session_purpose
from palermo.api.schemas import ID
from palermo.coordination import court
from palermo.ingest.audiences import checked_sharing
from palermo.model.vocab import EXPLOITATION_FORMS
from palermo.web.coord_form_kit import Refusal, form_data, refused_page, text
from palermo.web.csrf import csrf_protect
from palermo.web.render import id_path, page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
FIELDS = (
    "defendant", "verdict", "prosecution_date", "verdict_date", "offence_code",
    "exploitation_form", "court", "sharing",
)  # fmt: skip


def values_of(form: FormData) -> tuple[court.CourtOutcomeInput, str]:
    """The posted values as typed, and the optional audience."""
    values = court.CourtOutcomeInput(
        text(form, "defendant")[:ID], text(form, "verdict"), text(form, "prosecution_date"),
        text(form, "verdict_date"), text(form, "offence_code"), text(form, "exploitation_form"),
        text(form, "court"),
    )  # fmt: skip
    return values, text(form, "sharing")


def form_page(
    request: Request,
    viewer: Viewer,
    values: court.CourtOutcomeInput,
    sharing: str,
    errors: dict[str, str],
) -> HTMLResponse:
    store = store_of(request)
    purpose = session_purpose(request)  # H0, ADR 0051: as the session reads them
    person = store.entity(viewer, values.defendant, purpose=purpose) if values.defendant else None
    return page(
        request,
        "court_outcome_form.html",
        values=values,
        sharing=sharing,
        errors=errors,
        person=person if person is not None and person.schema == "Person" else None,
        verdicts=court.VERDICTS,
        codes=court.OFFENCE_CODES,
        forms=EXPLOITATION_FORMS,
    )


@router.get("/court-outcomes/new", response_class=HTMLResponse)
def new_court_outcome(request: Request, defendant: str = "") -> Response:
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    try:
        viewer.require_data_role("record a court outcome")
    except AccessDenied as exc:
        return refused_page(request, exc)
    blank = court.CourtOutcomeInput(defendant[:ID], "convicted", "")
    return form_page(request, viewer, blank, "", {})


@router.post("/court-outcomes/new", response_class=HTMLResponse)
def record_court_outcome(
    request: Request, form: Annotated[FormData, Depends(form_data)]
) -> Response:
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    values, sharing = values_of(form)
    store = store_of(request)
    try:
        audience = checked_sharing(store, sharing, "sharing") if sharing else None
        outcome = court.record_court_outcome(store, viewer, values, audience)
    except AccessDenied as exc:
        return refused_page(request, exc)
    except (ValueError, NotVisible) as exc:
        response = form_page(request, viewer, values, sharing, Refusal.of(exc, FIELDS).errors())
        response.status_code = 422
        return response
    return RedirectResponse(f"/entities/{id_path(outcome)}", status_code=303)
