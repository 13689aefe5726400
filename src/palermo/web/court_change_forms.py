"""Correct or retract a court outcome in the browser (issue 20, ADR 0028 amendment).

The outcome's page and the case page link these forms for the agency that recorded the
outcome. They call `coordination.court_changes`, the functions `POST /api/v1/court-outcomes/
{id}/correct` and `.../retract` call, as the logged-in user: the same check as recording
(the ICCS code against the form of exploitation included), a reason always, the recording
agency only (403 page), an outcome the user cannot read is the 404 page. A refusal comes
back with the message next to the field it names and the values as typed (422). Every POST
carries the session's CSRF token (router dependency); each change is one audited write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.api.auth import optional_viewer, store_of
from palermo.api.read_purpose import session_store
from palermo.coordination import court, court_changes
from palermo.model.vocab import EXPLOITATION_FORMS
from palermo.store.store import Store
from palermo.web.coord_form_kit import Refusal, form_data, refused_page, text
from palermo.web.csrf import csrf_protect
from palermo.web.render import id_path, page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
FIELDS = (*court_changes.FIELDS, "reason", "defendant")
OUTCOME = "/court-outcomes/{outcome_id:path}"


def typed(form: FormData, defendant: str) -> court.CourtOutcomeInput:
    return court.CourtOutcomeInput(defendant, *(text(form, f) for f in court_changes.FIELDS))


def change_page(
    request: Request,
    viewer: Viewer,
    outcome_id: str,
    kind: str,
    values: court.CourtOutcomeInput,
    reason: str,
    errors: dict[str, str],
) -> HTMLResponse:
    """The correct or retract form, with the outcome's history as the session reads it."""
    store = session_store(request)  # H0, ADR 0051: as the session reads them
    return page(
        request,
        f"court_outcome_{kind}.html",
        outcome_id=outcome_id,
        values=values,
        reason=reason,
        errors=errors,
        history=court_changes.history(store, viewer, outcome_id),
        verdicts=court.VERDICTS,
        codes=court.OFFENCE_CODES,
        forms=EXPLOITATION_FORMS,
    )


@router.get(f"{OUTCOME}/correct", response_class=HTMLResponse)
@router.get(f"{OUTCOME}/retract", response_class=HTMLResponse)
def change_form(request: Request, outcome_id: str) -> Response:
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    kind = "correct" if request.url.path.endswith("/correct") else "retract"
    try:
        _, own = court_changes.own_outcome(store_of(request), viewer, outcome_id)
    except (AccessDenied, NotVisible) as exc:
        return refused_page(request, exc)
    return change_page(request, viewer, outcome_id, kind, court_changes.current_input(own), "", {})


@router.post(f"{OUTCOME}/correct", response_class=HTMLResponse)
def correct(
    request: Request, outcome_id: str, form: Annotated[FormData, Depends(form_data)]
) -> Response:
    def apply(store: Store, viewer: Viewer, own: court.CourtOutcomeInput, reason: str) -> str:
        values = typed(form, own.defendant)
        court_changes.correct_court_outcome(store, viewer, outcome_id, values, reason)
        return f"/entities/{id_path(outcome_id)}"

    return _change(request, outcome_id, form, "correct", apply)


@router.post(f"{OUTCOME}/retract", response_class=HTMLResponse)
def retract(
    request: Request, outcome_id: str, form: Annotated[FormData, Depends(form_data)]
) -> Response:
    def apply(store: Store, viewer: Viewer, own: court.CourtOutcomeInput, reason: str) -> str:
        court_changes.retract_court_outcome(store, viewer, outcome_id, reason)
        return f"/entities/{id_path(own.defendant)}"

    return _change(request, outcome_id, form, "retract", apply)


Apply = Callable[[Store, Viewer, court.CourtOutcomeInput, str], str]


def _change(request: Request, outcome_id: str, form: FormData, kind: str, apply: Apply) -> Response:
    """One change of an outcome (correct or retract) as both forms run it: only its recorder
    (403/404 pages otherwise), a refusal shown at its field with the form's values kept
    (422), else on to the page ``apply`` names."""
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    store = store_of(request)
    reason = text(form, "reason")
    try:
        _, own = court_changes.own_outcome(store, viewer, outcome_id)
        values = court_changes.current_input(own)
        to = apply(store, viewer, values, reason)
    except (AccessDenied, NotVisible) as exc:
        return refused_page(request, exc)
    except ValueError as exc:
        shown = typed(form, "") if kind == "correct" else values
        errors = Refusal.of(exc, FIELDS).errors()
        response = change_page(request, viewer, outcome_id, kind, shown, reason, errors)
        response.status_code = 422
        return response
    return RedirectResponse(to, status_code=303)
