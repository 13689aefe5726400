"""Mutual legal assistance in the browser: draft a request, and answer one sent to you.

Drafting calls `mla.create_request` (as the API's POST /api/v1/mla), answering calls
`mla.set_status` (as POST /api/v1/mla/{id}/status), as the logged-in user, so the roles and
parties the API checks are checked the same way. The answer form is the requested agency's
alone: the requesting agency gets 403 ("you made it"), anyone else 404 (not a request it can
see); the requesting agency has its own status form (send a draft, withdraw), refused to the
requested agency (403) as the answer form is to the requester. An answer's comment goes back
to the requesting agency as an agency message (`messages.send_message`, shared with that
agency only). Every POST carries the session's
CSRF token (router dependency).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.api.auth import store_of
from palermo.api.read_purpose import for_session
from palermo.api.schemas import ID, LINE, SHORT, TEXT
from palermo.coordination import legal, mla
from palermo.exchange import messages
from palermo.model.vocab import EXPLOITATION_FORMS
from palermo.store.views import Entity
from palermo.web.coord_form_kit import (
    FieldError,
    Refusal,
    form_data,
    refused_page,
    signed_in,
    text,
    texts,
    to_login,
    with_status,
)
from palermo.web.csrf import csrf_protect
from palermo.web.render import id_path, page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
# what the requested side may answer (draft, sent and withdrawn are the requester's)
ANSWERS = ("received", "in-progress", "executed", "refused")
# what the requesting agency sets on its own request: send a draft, or withdraw it
OWN_STATUSES = ("sent", "withdrawn")
LEGAL_BASES = (
    "UNTOC (Palermo Convention) art. 18",
    "European Convention on Mutual Assistance in Criminal Matters (1959)",
    "Directive 2014/41/EU (European Investigation Order)",
    "Bilateral MLA treaty",
    "Reciprocity",
)
NEW_FIELDS = (
    "reference",
    "requesting_country",
    "requested_country",
    "requested_agency",
    "request_type",
    "legal_basis",
    "deadline",
    "acts",
    "means",
    "purposes",
    "victim_age",
    "case_id",
)


Posted = Annotated[FormData, Depends(form_data)]


@cache
def elements() -> dict[str, list[str]]:
    """The acts and means any coded law names (the checkboxes of the facts)."""
    laws = legal.laws().values()
    return {
        "acts": sorted({a for law in laws for a in law.acts}),
        "means": sorted({m for law in laws for m in law.means}),
        "purposes": list(EXPLOITATION_FORMS),
    }


@dataclass
class Draft:
    """The request form's values, as typed."""

    reference: str = ""
    requesting_country: str = ""
    requested_country: str = ""
    requested_agency: str = ""
    request_type: str = "evidence"
    legal_basis: str = ""
    deadline: str = ""
    acts: list[str] = field(default_factory=list)
    means: list[str] = field(default_factory=list)
    purposes: list[str] = field(default_factory=list)
    victim_age: str = ""
    case_id: str = ""

    @classmethod
    def of(cls, form: FormData) -> Draft:
        return cls(
            text(form, "reference"),
            text(form, "requesting_country").upper(),
            text(form, "requested_country").upper(),
            text(form, "requested_agency"),
            text(form, "request_type"),
            text(form, "legal_basis"),
            text(form, "deadline"),
            texts(form, "acts"),
            texts(form, "means"),
            texts(form, "purposes"),
            text(form, "victim_age"),
            text(form, "case_id"),
        )

    def check(self, today: date, partners: set[str]) -> tuple[date, int | None]:
        """What the API's pydantic model refuses, and the empty fields a request cannot go
        without; returns the deadline and the victim's age. ``partners``: the other agencies
        (checked here too, so a wrong agency is not reported as its missing country)."""
        for name in ("reference", "requested_agency", "legal_basis"):
            if not getattr(self, name):
                raise FieldError(f"{name}: required")
        if self.requested_agency not in partners:
            agency = self.requested_agency[:40]
            raise FieldError(f"requested_agency: {agency!r} is not another member agency")
        limits = {"reference": LINE, "legal_basis": LINE, "case_id": ID}
        for name in ("requesting_country", "requested_country", "requested_agency", "request_type"):
            limits[name] = SHORT
        for name, limit in limits.items():
            if len(getattr(self, name)) > limit:
                raise FieldError(f"{name}: longer than {limit} characters")
        for name in ("requesting_country", "requested_country"):
            if not getattr(self, name):
                raise FieldError(f"{name}: give the country code (e.g. DE)")
        for name, known in elements().items():
            for value in getattr(self, name):
                if value not in known:
                    raise FieldError(f"{name}: {value[:40]!r} is not one of {', '.join(known)}")
        try:
            deadline = date.fromisoformat(self.deadline)
        except ValueError:
            raise FieldError(
                f"deadline: {self.deadline[:40]!r} is not a date (YYYY-MM-DD)"
            ) from None
        if deadline < today:
            raise FieldError(f"deadline: {deadline.isoformat()} is in the past")
        age: int | None = None
        if self.victim_age:
            if not self.victim_age.isascii() or not self.victim_age.isdigit():
                raise FieldError(f"victim_age: {self.victim_age[:20]!r} is not a whole number")
            age = int(self.victim_age)
            if age > 120:
                raise FieldError("victim_age: at most 120")
        return deadline, age

    def facts(self, age: int | None) -> legal.Facts:
        return legal.Facts(
            frozenset(self.acts), frozenset(self.means), frozenset(self.purposes), age
        )


@router.get("/mla/new", response_class=HTMLResponse)
def new_request(request: Request, case: str = "") -> Response:
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    own = next((a for a in store_of(request).agencies() if a.code == viewer.agency), None)
    values = Draft(requesting_country=own.country if own else "", case_id=case[:ID])
    return _draft_form(request, viewer, values, {})


@router.post("/mla/new", response_class=HTMLResponse)
def create_request(request: Request, form: Posted) -> Response:
    """Send the request (`mla.create_request`): shared with the requested agency only."""
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    values = Draft.of(form)
    store = store_of(request)
    if not values.requested_country:  # by default the requested agency's own country
        values.requested_country = _country_of(request, values.requested_agency)
    try:
        partners = {a.code for a in store.agencies() if a.code != viewer.agency}
        deadline, age = values.check(datetime.now(UTC).date(), partners)
        mla.create_request(
            store,
            viewer,
            values.reference,
            values.requesting_country,
            values.requested_country,
            values.requested_agency,
            values.request_type,
            values.legal_basis,
            deadline,
            values.facts(age),
            values.case_id or None,
        )
    except (AccessDenied, NotVisible) as exc:
        return refused_page(request, exc, values.case_id)
    except ValueError as exc:
        refusal = Refusal.of(exc, NEW_FIELDS, _rename)
        return with_status(_draft_form(request, viewer, values, refusal.errors()), 422)
    return RedirectResponse("/mla", status_code=303)


PROPS = {
    "reference": "reference",
    "requestingCountry": "requesting_country",
    "requestedCountry": "requested_country",
    "requestType": "request_type",
    "legalBasis": "legal_basis",
    "case": "case_id",
}


def _rename(name: str) -> str:
    """The field of a refusal: `mla.create_request` names the purposes of the facts
    ``facts.purposes`` and the entity check names properties (``requestedCountry``)."""
    return PROPS.get(name, name.removeprefix("facts."))


def _country_of(request: Request, agency: str) -> str:
    return next((a.country for a in store_of(request).agencies() if a.code == agency), "")


def _draft_form(
    request: Request, viewer: Viewer, values: Draft, errors: dict[str, str]
) -> HTMLResponse:
    partners = [a for a in store_of(request).agencies() if a.code != viewer.agency]
    return page(
        request,
        "mla_form.html",
        values=values,
        errors=errors,
        partners=partners,
        types=mla.TYPES,
        bases=LEGAL_BASES,
        elements=elements(),
    )


# --- answer -----------------------------------------------------------------------------


def visible_request(request: Request, viewer: Viewer, request_id: str) -> Entity:
    """The legal assistance request, or 404: not a request the viewer can see."""
    # every value: who answers or owns it is judged on them; pages show `for_session` of it
    found = store_of(request).entity(viewer, request_id, purpose=None)
    if found is None or found.schema != "LegalAssistanceRequest":
        raise NotVisible(f"request_id: no visible legal assistance request {request_id!r}")
    return found


def answerable(request: Request, viewer: Viewer, request_id: str) -> Entity:
    """The request if the viewer's agency is the one it was sent to: 404 if it is not a
    request the viewer can see, 403 for its requesting agency (it does not answer itself)."""
    found = visible_request(request, viewer, request_id)
    owner = mla.creator_of(found)
    requested = mla.requested_agencies(found, owner)
    if viewer.agency == owner or viewer.agency not in requested:
        answerer = ", ".join(sorted(requested)) or "the requested agency"
        raise AccessDenied(
            f"request_id: {viewer.agency} made {request_id}; only {answerer} answers it"
        )
    return found


@router.get("/mla/{request_id:path}/answer", response_class=HTMLResponse)
def answer_form(request: Request, request_id: str) -> Response:
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    try:
        found = answerable(request, viewer, request_id)
    except (AccessDenied, NotVisible) as exc:
        return refused_page(request, exc, request_id)
    return _answer_page(request, found, {}, {})


@router.post("/mla/{request_id:path}/answer", response_class=HTMLResponse)
def answer(request: Request, request_id: str, form: Posted) -> Response:
    """Answer with a status (`mla.set_status`, as the API's status change by the requested
    side: a statement of its own shared back) and, if written, a message to the requester."""
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    values = {"status": text(form, "status"), "comment": text(form, "comment")}
    store = store_of(request)
    try:
        found = answerable(request, viewer, request_id)
        if values["status"] not in ANSWERS:
            raise FieldError(
                f"status: {values['status'][:40]!r} is not one of {', '.join(ANSWERS)}"
            )
        if len(values["comment"]) > TEXT:
            raise FieldError(f"comment: longer than {TEXT} characters")
        mla.set_status(store, viewer, found.id, values["status"])
        if values["comment"]:
            reference = found.first("reference") or found.id
            messages.send_message(
                store,
                viewer,
                mla.creator_of(found),
                f"MLA request {reference}: {values['status']}"[:LINE],
                values["comment"],
                "reply",
                [found.id],
            )
    except (AccessDenied, NotVisible) as exc:
        return refused_page(request, exc, request_id)
    except ValueError as exc:
        refusal = Refusal.of(exc, ("status", "comment"))
        found = answerable(request, viewer, request_id)
        return with_status(_answer_page(request, found, refusal.errors(), values), 422)
    return RedirectResponse(f"/mla/{id_path(found.id)}/answer", status_code=303)


def _answer_page(
    request: Request, found: Entity, errors: dict[str, str], values: dict[str, str]
) -> HTMLResponse:
    found = for_session(request, found)  # H0, ADR 0051
    ok, findings = mla.check_dual_criminality(found)
    return page(
        request,
        "mla_answer.html",
        req=found,
        status=mla.status_of(found),
        answers=ANSWERS,
        dual=ok,
        findings=findings,
        values=values,
        errors=errors,
    )


# --- the requester's own status ---------------------------------------------------------


def own_request(request: Request, viewer: Viewer, request_id: str) -> Entity:
    """The request if the viewer's agency made it: 404 if it is not a request the viewer can
    see, 403 for the requested agency (it answers; it does not withdraw the request)."""
    found = visible_request(request, viewer, request_id)
    owner = mla.creator_of(found)
    if viewer.agency != owner:
        raise AccessDenied(
            f"request_id: {owner} made {request_id}; {viewer.agency} answers it instead"
        )
    return found


@router.get("/mla/{request_id:path}/status", response_class=HTMLResponse)
def own_status_form(request: Request, request_id: str) -> Response:
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    try:
        found = own_request(request, viewer, request_id)
    except (AccessDenied, NotVisible) as exc:
        return refused_page(request, exc, request_id)
    return _own_status_page(request, found, {}, {})


@router.post("/mla/{request_id:path}/status", response_class=HTMLResponse)
def own_status(request: Request, request_id: str, form: Posted) -> Response:
    """Set the status of an own request (`mla.set_status`, as the API's status change by the
    requesting agency)."""
    viewer = signed_in(request)
    if viewer is None:
        return to_login()
    values = {"status": text(form, "status")}
    try:
        found = own_request(request, viewer, request_id)
        if values["status"] not in OWN_STATUSES:
            raise FieldError(
                f"status: {values['status'][:40]!r} is not one of {', '.join(OWN_STATUSES)}"
            )
        mla.set_status(store_of(request), viewer, found.id, values["status"])
    except (AccessDenied, NotVisible) as exc:
        return refused_page(request, exc, request_id)
    except ValueError as exc:
        refusal = Refusal.of(exc, ("status",))
        found = own_request(request, viewer, request_id)
        return with_status(_own_status_page(request, found, refusal.errors(), values), 422)
    return RedirectResponse("/mla", status_code=303)


def _own_status_page(
    request: Request, found: Entity, errors: dict[str, str], values: dict[str, str]
) -> HTMLResponse:
    found = for_session(request, found)  # H0, ADR 0051
    return page(
        request,
        "mla_status.html",
        req=found,
        status=mla.status_of(found),
        choices=OWN_STATUSES,
        values=values,
        errors=errors,
    )
