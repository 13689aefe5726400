"""Analyst pages beyond search: link chart, map, trends, screening and coordination.

Each page calls the same functions as the REST API, as the logged-in user (the session
cookie carries the same token the API takes), so the browser can show nothing the API
would not. Interactive parts (chart, map, graphs) fetch the API's JSON from the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from palermo.access.viewer import AccessDenied, Viewer
from palermo.api import screening_routes as screening
from palermo.api.auth import optional_viewer, store_of
from palermo.api.read_purpose import session_purpose, session_store
from palermo.coordination import deconfliction, hit_notices, mla, operations, screening_notices
from palermo.exchange import messages, notices
from palermo.match import manifest as manifests
from palermo.web.csrf import csrf_protect
from palermo.web.render import page
from palermo.web.screening_unrecorded import UNRECORDED, unrecorded

# Every POST here is a form of the UI: it must carry the session's CSRF token.
router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
Handler = Callable[[Request, Viewer], Response]


def signed_in(request: Request, handler: Handler) -> Response:
    """Run the page as the logged-in user; send strangers to the login page."""
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    try:
        return handler(request, viewer)
    except AccessDenied as exc:
        response = page(request, "message.html", title="Not allowed", text=str(exc))
        response.status_code = 403
        return response


@router.get("/graph", response_class=HTMLResponse)
def graph(request: Request, ego: str = "", hops: int = 2) -> Response:
    return signed_in(request, lambda r, v: page(r, "graph.html", ego=ego, hops=hops))


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request) -> Response:
    return signed_in(request, lambda r, v: page(r, "map.html"))


@router.get("/trends", response_class=HTMLResponse)
def trends(request: Request) -> Response:
    from palermo.analysis.report import DEFAULT_PURPOSE
    from palermo.model.handling_terms import PURPOSES

    # the report form declares a purpose (H0, ADR 0041); the API route applies it
    show = dict(purposes=PURPOSES, default_purpose=DEFAULT_PURPOSE)
    return signed_in(request, lambda r, v: page(r, "trends.html", **show))


@router.get("/risk", response_class=HTMLResponse)
def risk(request: Request) -> Response:
    def show(r: Request, v: Viewer) -> Response:
        from palermo.api.analysis_routes import audit, ids_detail, view, withheld_detail
        from palermo.api.read_purpose import session_purpose

        ws = view(r, v, session_purpose(r))  # the session's purpose (H0, ADR 0051)
        ranked = ws.risk(top=50)
        detail = ids_detail([x["identity"] for x in ranked]) | withheld_detail(ws)
        audit(r, v, "risk", "top 50", **detail)
        return page(r, "risk.html", ranked=ranked, withheld=ws.withheld)

    return signed_in(request, show)


# --- screening ------------------------------------------------------------------------


@router.get("/screening", response_class=HTMLResponse)
def screening_page(request: Request) -> Response:
    return signed_in(request, lambda r, v: page(r, "screening.html"))


@router.post("/screening/person", response_class=HTMLResponse)
def screen_person(
    request: Request,
    name: Annotated[str, Form()],
    birth_date: Annotated[str, Form()] = "",
    nationality: Annotated[str, Form()] = "",
) -> Response:
    def show(r: Request, v: Viewer) -> Response:
        if not name.strip():
            return _bad(r, "name: give a name to screen")
        told = session_purpose(r) or None  # screened for it, told to owners (H0, ADR 0051)
        query = screening.PersonIn(
            name=name,
            birth_date=birth_date or None,
            nationality=nationality or None,
            sex=None,
            purpose=told,
        )
        try:
            candidates = screening.person_candidates(r, v, query, told)
        except ValueError as exc:
            return _bad(r, str(exc))
        except UNRECORDED as exc:  # audited with its notices, one commit (ADR 0052)
            return unrecorded(r, exc)
        found = [screening.candidate_out(c) for c in candidates]
        shown = dict(person=query, candidates=found, screened_for=screened_for(told))
        return page(r, "screening.html", **shown)

    return signed_in(request, show)


@router.post("/screening/document", response_class=HTMLResponse)
def screen_document(request: Request, number: Annotated[str, Form()]) -> Response:
    def show(r: Request, v: Viewer) -> Response:
        if not number.strip():
            return _bad(r, "number: give a document number")
        told = session_purpose(r) or None  # the session's purpose (H0, ADR 0041/0051)
        index = screening.for_purpose(screening.index_for(r, v), told)
        check = index.check_document(number)
        audited = ("screen.document", check.number, screening.document_audit(check))
        hits = [h.entity_id for h in check.hits]
        try:  # every hit told, as the API; the audit row in the same commit (ADR 0052)
            screening_notices.notify(store_of(r), v, index, hits, told, audited)
        except UNRECORDED as exc:
            return unrecorded(r, exc)
        shown = dict(document=screening.document_out(check), screened_for=screened_for(told))
        return page(r, "screening.html", **shown)

    return signed_in(request, show)


@router.post("/screening/mrz", response_class=HTMLResponse)
def screen_mrz(request: Request, mrz: Annotated[str, Form()]) -> Response:
    from palermo.web.mrz_page import show_mrz

    return signed_in(request, lambda r, v: show_mrz(r, v, mrz))


@router.post("/screening/manifest", response_class=HTMLResponse)
async def screen_manifest(request: Request, manifest: Annotated[UploadFile, File()]) -> Response:
    raw = await manifest.read()

    def show(r: Request, v: Viewer) -> Response:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return _bad(r, "manifest: the file is not UTF-8 text (CSV expected)")
        told = session_purpose(r) or None  # the session's purpose (H0, ADR 0041/0051)
        try:
            result = screening._manifest(r, v, manifests.read_csv(text), told, told)
        except ValueError as exc:  # more rows than a manifest may have
            return _bad(r, str(exc))
        except UNRECORDED as exc:  # audited with its notices, one commit (ADR 0052)
            return unrecorded(r, exc)
        shown = dict(manifest=result, filename=manifest.filename, screened_for=screened_for(told))
        return page(r, "screening.html", **shown)

    return signed_in(request, show)


def screened_for(told: str | None) -> str:
    """The H0 purpose a screening form screened for: the session's, else ``screening``
    (the API's default), shown on the page next to the answer."""
    from palermo.match.screening_purpose import screening_purpose

    return screening_purpose(told)


def _bad(request: Request, text: str) -> Response:
    response = page(request, "screening.html", error=text)
    response.status_code = 422
    return response


# --- coordination ---------------------------------------------------------------------


def entity_list(schema: str, title: str, columns: list[tuple[str, str]]) -> Handler:
    """A page listing the visible entities of one schema, newest first."""

    def show(r: Request, v: Viewer) -> Response:
        rows = store_of(r).entities(v, schema=schema, limit=500, purpose=session_purpose(r))
        return page(r, "list.html", title=title, columns=columns, rows=rows, schema=schema)

    return show


LISTS: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "cases": (
        "InvestigationCase",
        "Cases",
        [
            ("caseNumber", "Case number"),
            ("title", "Title"),
            ("caseStatus", "Status"),
            ("team", "Team"),
        ],
    ),
    "operations": (
        "JointOperation",
        "Joint operations",
        [("name", "Operation"), ("actionTime", "Action day (UTC)"), ("participants", "Countries")],
    ),
    "referrals": (
        "Referral",
        "Victim referrals",
        [("serviceType", "Service"), ("provider", "Provider"), ("referralStatus", "Status")],
    ),
}


def _list_route(slug: str) -> None:
    schema, title, columns = LISTS[slug]

    def handler(request: Request) -> Response:
        return signed_in(request, entity_list(schema, title, columns))

    router.add_api_route(f"/{slug}", handler, methods=["GET"], response_class=HTMLResponse)


for _slug in LISTS:
    _list_route(_slug)


@router.get("/hits", response_class=HTMLResponse)
def hits(request: Request) -> Response:
    def show(r: Request, v: Viewer) -> Response:
        store = session_store(r)  # with the owners' replies to this agency's hits (issue 19)
        try:
            follow_ups = hit_notices.sent(store, v)
        except AccessDenied:  # an admin account holds no data role: the hits only
            follow_ups = []
        return page(r, "hits.html", hits=deconfliction.hits(store, v), follow_ups=follow_ups)

    return signed_in(request, show)


@router.get("/operations/{operation_id}", response_class=HTMLResponse)
def operation(request: Request, operation_id: str) -> Response:
    def show(r: Request, v: Viewer) -> Response:
        try:
            board = operations.dashboard(session_store(r), v, operation_id)
        except (KeyError, ValueError) as exc:
            response = page(r, "message.html", title="No such operation", text=str(exc))
            response.status_code = 404
            return response
        return page(r, "operation.html", board=board, counts=operations.COUNTS)

    return signed_in(request, show)


@router.get("/mla", response_class=HTMLResponse)
def mla_page(request: Request) -> Response:
    def show(r: Request, v: Viewer) -> Response:
        from datetime import date

        store = session_store(r)  # every read for the session's purpose (H0, ADR 0051)
        rows = store.entities(
            v, schema="LegalAssistanceRequest", limit=500, purpose=store.read_purpose
        )
        overdue = {x.request_id: x.days_overdue for x in mla.reminders(store, v, date.today())}
        status = {e.id: mla.status_of(e) for e in rows}
        return page(r, "mla.html", rows=rows, status=status, overdue=overdue)

    return signed_in(request, show)


WEB_PAGE = 100  # rows per page of the notices and messages lists


@router.get("/notices", response_class=HTMLResponse)
def notices_page(request: Request, offset: str = "0") -> Response:
    """Every notice visible to the viewer with its status, a page at a time."""

    def show(r: Request, v: Viewer) -> Response:
        start = _offset(offset)
        if start is None:
            return _bad_offset(r, offset)
        found = store_of(r).entities(
            v, schema="Notice", limit=WEB_PAGE + 1, offset=start, purpose=session_purpose(r)
        )
        rows = found[:WEB_PAGE]
        status = {e.id: notices.status_of(e) for e in rows}
        more = start + WEB_PAGE if len(found) > WEB_PAGE else None
        return page(r, "notices.html", rows=rows, status=status, **_paging(start, more))

    return signed_in(request, show)


@router.get("/messages", response_class=HTMLResponse)
def messages_page(request: Request, offset: str = "0") -> Response:
    """The agency's inbox, newest first, a page at a time."""

    def show(r: Request, v: Viewer) -> Response:
        start = _offset(offset)
        if start is None:
            return _bad_offset(r, offset)
        inbox = messages.inbox(session_store(r), v)
        more = start + WEB_PAGE if len(inbox) > start + WEB_PAGE else None
        rows = inbox[start : start + WEB_PAGE]
        return page(r, "messages.html", rows=rows, **_paging(start, more))

    return signed_in(request, show)


def _offset(text: str) -> int | None:
    """The ``offset`` of a list page, or None when it is not a whole number >= 0."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _bad_offset(request: Request, text: str) -> Response:
    response = page(
        request,
        "message.html",
        title="Bad page",
        text=f"offset: {text[:40]!r} is not a whole number of rows to skip (0 or more)",
    )
    response.status_code = 422
    return response


def _paging(start: int, more: int | None) -> dict[str, int | None]:
    """The template's links to the previous and the next page (None: no such page)."""
    previous = max(start - WEB_PAGE, 0) if start > 0 else None
    return {"offset": start, "previous_offset": previous, "next_offset": more}


def columns_of(entity: Any, prop: str) -> str:
    return ", ".join(v for v in entity.values(prop))
