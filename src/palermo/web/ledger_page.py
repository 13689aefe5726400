"""The identity ledger page (issue 15): what resolution did to identities, undoable.

`GET /identities` lists the viewer's view's entries, 20 a page, newest first: who, when,
the identities before and after with links to the records the viewer may still see, the
evidence and the model version. `POST /identities/undo` undoes one (a button per entry),
`POST /identities/resolve` reruns the batch resolution of the view ("Re-resolve"). Both
forms carry the CSRF token every web form carries, and all three call
`match.ledger_access`, the API's functions, so the page shows and allows exactly what the
API does: another view's entry is "not found", an error shows next to the entry's form.
The page and the undo read for the session's purpose (H0, ADR 0051): an entry that rests on
values withheld from it is listed without its records and evidence, with whom to ask, and
has no Undo (`ledger_purpose`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from palermo.access.viewer import AccessDenied, NotVisible, Viewer
from palermo.api.auth import optional_viewer, store_of
from palermo.api.read_purpose import session_store
from palermo.match import ledger_access
from palermo.web.csrf import csrf_protect
from palermo.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PAGE = 20


async def _render(
    request: Request,
    viewer: Viewer,
    offset: int,
    error: str = "",
    error_seq: int | None = None,
    status: int = 200,
    written: int | None = None,
) -> Response:
    store = session_store(request)  # captions for the session's purpose (H0, ADR 0051)
    try:
        total, rows = await run_in_threadpool(
            ledger_access.ledger_page, store, viewer, PAGE, offset
        )
    except AccessDenied as exc:
        total, rows, error, status = 0, [], str(exc), 403
    response = page(
        request,
        "ledger.html",
        rows=rows,
        total=total,
        offset=offset,
        previous_offset=max(offset - PAGE, 0) if offset else None,
        next_offset=offset + PAGE if offset + PAGE < total else None,
        error=error if error_seq is None else "",
        error_seq=error_seq,
        entry_error=error if error_seq is not None else "",
        written=written,
    )
    response.status_code = status
    return response


@router.get("/identities", response_class=HTMLResponse)
async def ledger_list(
    request: Request,
    offset: Annotated[int, Query(ge=0, le=ledger_access.MAX_OFFSET)] = 0,
    written: Annotated[int | None, Query(ge=0, le=ledger_access.MAX_OFFSET)] = None,
) -> Response:
    """The page; `written` (after "Re-resolve") says how many entries the run added."""
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    return await _render(request, viewer, offset, written=written)


@router.post("/identities/undo", response_class=HTMLResponse)
async def ledger_undo(
    request: Request,
    seq: Annotated[int, Form(ge=1, le=2**62)],
    reason: Annotated[str, Form(max_length=ledger_access.MAX_REASON)] = "",
    offset: Annotated[int, Form(ge=0, le=ledger_access.MAX_OFFSET)] = 0,
) -> Response:
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    store = session_store(request)  # an entry held for the session's purpose is not undone
    try:
        await run_in_threadpool(ledger_access.undo_entry, store, viewer, seq, reason)
    except (ValueError, AccessDenied, NotVisible) as exc:
        status = (
            403 if isinstance(exc, AccessDenied) else 404 if isinstance(exc, NotVisible) else 400
        )
        return await _render(request, viewer, offset, str(exc), seq, status)
    return RedirectResponse(f"/identities?offset={offset}", status_code=303)


@router.post("/identities/resolve", response_class=HTMLResponse)
async def ledger_resolve(request: Request) -> Response:
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    store = store_of(request)
    try:
        done = await run_in_threadpool(ledger_access.resolve, store, viewer)
    except (ValueError, AccessDenied) as exc:
        status = 403 if isinstance(exc, AccessDenied) else 400
        return await _render(request, viewer, 0, str(exc), None, status)
    return RedirectResponse(f"/identities?written={len(done.entries)}", status_code=303)
