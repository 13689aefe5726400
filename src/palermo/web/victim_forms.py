"""Victim protection in the browser: record a victim with her consent, refer her to a
service, follow the referral's status.

Every form calls the function of `palermo.coordination.victims` the REST API calls, as the
logged-in user, so the browser may do exactly what the API allows: recording, referring and
updating need the victim-support role, and a referral is made only on an own record. Pages
read as the user, never with a lent role: an analyst's list and record page show the
records shared with the agency, every value masked, under the alias the store shows them
by (the victim's person id is not on the page), and no referral of them. A refused input
re-renders the form with the values typed and the message next to its field; every POST
carries the session's CSRF token (router dependency).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.api.auth import optional_viewer, store_of
from palermo.api.read_purpose import session_purpose
from palermo.api.schemas import ID, LINE, MAX_ITEMS, SHORT
from palermo.coordination import victims
from palermo.model.schemata import model
from palermo.model.vocab import EXPLOITATION_FORMS
from palermo.store.views import Entity
from palermo.web.coord_form_kit import form_data
from palermo.web.csrf import csrf_protect
from palermo.web.render import id_path, page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
RISKS = ("low", "medium", "high")
PARTNER_PREFIX = "partner_"
# property names in the coordination functions' messages -> the form's field names
PROP_FIELDS = {
    "victim": "person_id",
    "exploitationForm": "exploitation_form",
    "exploitationCountry": "exploitation_country",
    "serviceType": "service",
    "referralStatus": "status",
}
VICTIM_FIELDS = (
    "person_id",
    "exploitation_form",
    "consent",
    "partners",
    "protection_needs",
    "re_trafficking_risk",
    "exploitation_country",
)


def field_errors(exc: Exception, fields: tuple[str, ...]) -> tuple[dict[str, str], int]:
    """The refusal's first line, keyed by the form field it starts with ("form" if none),
    and the HTTP status (403 for a refusal of the role, else 422)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    name = text.split(":", 1)[0].strip()
    name = PROP_FIELDS.get(name, name)
    status = 403 if isinstance(exc, AccessDenied) else 422
    return {name if name in fields else "form": text}, status


@dataclass
class NewVictim:
    """The victim form's values as typed (shown again when the form is refused)."""

    person_id: str = ""
    exploitation_form: str = ""
    consent: str = "none"
    partners: set[str] = field(default_factory=set)
    protection_needs: str = ""
    re_trafficking_risk: str = "medium"
    non_punishment: bool = True
    exploitation_country: str = ""

    @classmethod
    def of(cls, form: FormData) -> NewVictim:
        def text(name: str) -> str:
            value = form.get(name, "")
            return value.strip() if isinstance(value, str) else ""

        partners = {
            key[len(PARTNER_PREFIX) :]
            for key, value in form.multi_items()
            if key.startswith(PARTNER_PREFIX) and value == "on"
        }
        return cls(
            text("person_id"),
            text("exploitation_form"),
            text("consent") or "none",
            partners,
            text("protection_needs"),
            text("re_trafficking_risk") or "medium",
            text("non_punishment") == "on",
            text("exploitation_country"),
        )

    def needs(self) -> list[str]:
        return [n.strip() for n in self.protection_needs.splitlines() if n.strip()]

    def check(self) -> dict[str, str]:
        """What the API's model refuses (lengths, counts), said per field, plus a person and
        a risk level the form requires."""
        if not self.person_id:
            return {"person_id": "person_id: name the person (her record id)"}
        if len(self.person_id) > ID:
            return {"person_id": f"person_id: longer than {ID} characters"}
        if len(self.exploitation_form) > LINE or len(self.exploitation_country) > SHORT:
            name = (
                "exploitation_form"
                if len(self.exploitation_form) > LINE
                else "exploitation_country"
            )
            return {name: f"{name}: too long"}
        if len(self.partners) > MAX_ITEMS or any(len(p) > SHORT for p in self.partners):
            return {"partners": f"partners: at most {MAX_ITEMS} agencies"}
        needs = self.needs()
        if len(needs) > MAX_ITEMS or any(len(n) > LINE for n in needs):
            return {"protection_needs": f"protection_needs: at most {MAX_ITEMS} lines of {LINE}"}
        if self.re_trafficking_risk not in RISKS:
            risk = self.re_trafficking_risk[:40]
            return {
                "re_trafficking_risk": f"re_trafficking_risk: {risk!r} is not low, medium or high"
            }
        return {}


def _viewer(request: Request) -> Viewer | None:
    return optional_viewer(request)


def _refused(request: Request, exc: Exception) -> HTMLResponse:
    response = page(request, "message.html", title="Not allowed", text=str(exc))
    response.status_code = 403
    return response


def _missing(request: Request, entity_id: str) -> HTMLResponse:
    response = page(request, "missing.html", entity_id=entity_id)
    response.status_code = 404
    return response


# --- the list -----------------------------------------------------------------------------


@router.get("/victims", response_class=HTMLResponse)
def victim_list(request: Request) -> Response:
    """The victim records shared with the agency (details masked unless victim-support)."""
    viewer = _viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    try:
        rows = store_of(request).entities(
            viewer, schema="VictimRecord", limit=500, purpose=session_purpose(request)
        )
    except AccessDenied as exc:
        return _refused(request, exc)
    return page(request, "victim_list.html", rows=rows)


# --- record a victim ----------------------------------------------------------------------


@router.get("/victims/new", response_class=HTMLResponse)
def new_victim_form(request: Request, person: str = "") -> Response:
    viewer = _viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    try:
        victims.require_victim_support(viewer, "record a victim")
    except AccessDenied as exc:
        return _refused(request, exc)
    return _victim_form(request, viewer, NewVictim(person_id=person[:ID]), {})


@router.post("/victims/new", response_class=HTMLResponse)
def record_victim(request: Request, form: Annotated[FormData, Depends(form_data)]) -> Response:
    """`victims.record_victim`, as the API's POST /api/v1/victims; the person must be one
    the user can read (the API leaves that to the caller, a form can check it)."""
    viewer = _viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    try:
        victims.require_victim_support(viewer, "record a victim")
    except AccessDenied as exc:
        return _refused(request, exc)
    values = NewVictim.of(form)
    errors, status = values.check(), 422
    if not errors:
        try:
            record_id = _record(request, viewer, values)
        except (ValueError, AccessDenied, NotVisible) as exc:
            errors, status = field_errors(exc, VICTIM_FIELDS)
        else:
            return RedirectResponse(f"/victims/{id_path(record_id)}", status_code=303)
    response = _victim_form(request, viewer, values, errors)
    response.status_code = status
    return response


def _record(request: Request, viewer: Viewer, values: NewVictim) -> str:
    store = store_of(request)
    victims.require_victim_support(viewer, "record a victim")
    person = store.entity(viewer, values.person_id, purpose=None)  # a check: every value
    if person is None or person.schema != "Person":
        raise NotVisible(f"person_id: no person {values.person_id!r} you can read")
    return victims.record_victim(
        store,
        viewer,
        person.id,
        values.exploitation_form,
        values.consent,
        frozenset(values.partners),
        values.needs(),
        values.re_trafficking_risk,
        values.non_punishment,
        values.exploitation_country or None,
    )


def _victim_form(
    request: Request, viewer: Viewer, values: NewVictim, errors: dict[str, str]
) -> HTMLResponse:
    store = store_of(request)
    purpose = session_purpose(request)  # the form shows the person: the session's purpose
    person = store.entity(viewer, values.person_id, purpose=purpose) if values.person_id else None
    return page(
        request,
        "victim_form.html",
        values=values,
        errors=errors,
        person=person if person is not None and person.schema == "Person" else None,
        partners=[a for a in store.agencies() if a.code != viewer.agency],
        forms=EXPLOITATION_FORMS,
        consents=victims.CONSENT,
        risks=RISKS,
    )


# --- a record, its referrals -----------------------------------------------------------


@router.get("/victims/{record_id:path}", response_class=HTMLResponse)
def victim_page(request: Request, record_id: str) -> Response:
    viewer = _viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    return _record_page(request, viewer, record_id, {}, {})


@router.post("/victims/{record_id:path}/referrals", response_class=HTMLResponse)
def refer(
    request: Request,
    record_id: str,
    service: Annotated[str, Form()] = "",
    provider: Annotated[str, Form()] = "",
) -> Response:
    """`victims.refer`, as the API's POST /api/v1/victims/{id}/referrals."""
    viewer = _viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    values = {"service": service, "provider": provider}
    try:
        if not provider.strip():
            raise ValueError("provider: name the service provider")
        if len(provider) > LINE or len(service) > LINE:
            raise ValueError(f"provider: longer than {LINE} characters")
        victims.refer(store_of(request), viewer, record_id, service.strip(), provider.strip())
    except NotVisible:
        return _missing(request, record_id)
    except (ValueError, AccessDenied) as exc:
        errors, status = field_errors(exc, ("service", "provider"))
        response = _record_page(request, viewer, record_id, errors, values)
        if response.status_code == 200:
            response.status_code = status
        return response
    return RedirectResponse(f"/victims/{id_path(record_id)}#referrals", status_code=303)


@router.post("/referrals/{referral_id:path}/status", response_class=HTMLResponse)
def referral_status(
    request: Request,
    referral_id: str,
    status: Annotated[str, Form()] = "",
    record: Annotated[str, Form()] = "",
) -> Response:
    """`victims.update_referral`, as the API's POST /api/v1/referrals/{id}/status; back to
    the victim record the form was on."""
    viewer = _viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    back = record[:ID]
    try:
        victims.update_referral(store_of(request), viewer, referral_id, status[:SHORT])
    except (ValueError, AccessDenied, NotVisible) as exc:
        errors, code = field_errors(exc, ("status",))
        if not back:
            return _refused(request, exc)
        response = _record_page(
            request, viewer, back, {f"status-{referral_id}": errors.popitem()[1]}, {}
        )
        response.status_code = code if response.status_code == 200 else response.status_code
        return response
    return RedirectResponse(f"/victims/{id_path(back)}#referrals" if back else "/referrals", 303)


def _record_page(
    request: Request,
    viewer: Viewer,
    record_id: str,
    errors: dict[str, str],
    values: dict[str, str],
) -> HTMLResponse:
    store = store_of(request)
    purpose = session_purpose(request)  # every read of the page (H0, ADR 0051)
    try:
        record = store.entity(viewer, record_id, purpose=purpose)
    except AccessDenied as exc:
        return _refused(request, exc)
    if record is None or record.schema != "VictimRecord":
        return _missing(request, record_id)
    referrals: list[Entity] = []
    person: Entity | None = None
    if viewer.sees_victim_details:  # what others would read is masked anyway
        referrals = store.referencing(viewer, record.id, schema="Referral", purpose=purpose)
        victim = record.first("victim")
        person = store.entity(viewer, victim, purpose=purpose) if victim else None
    own = viewer.agency in record.agencies and viewer.sees_victim_details
    return page(
        request,
        "victim_record.html",
        record=record,
        schema=model.get("VictimRecord"),
        person=person,
        referrals=referrals,
        own=own,
        services=victims.SERVICES,
        statuses=victims.REFERRAL_STATUSES,
        errors=errors,
        values=values,
    )
