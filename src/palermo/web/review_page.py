"""The review queue page: candidate identity matches the analyst decides (issue 15).

`GET /review` lists the viewer's queue (`analysis.review.queue`), 20 pairs a page, each with
both records' visible values side by side and the features that drove the score;
`POST /review/judge` confirms, rejects, marks unsure or undoes a pair through
`analysis.review.decide` (which calls `resolution.judge`, the API's judgement route), with
the CSRF token every web form carries. The queue is built in a worker thread from a
per-viewer cache that every write drops, so the page never blocks the event loop and never
shows a queue staler than the last judgement.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from palermo.access.viewer import AccessDenied, Viewer
from palermo.analysis import review_purpose
from palermo.analysis.review import (
    ACTIONS,
    LINK_THRESHOLD,
    REJECT_THRESHOLD,
    ReviewCache,
    ReviewItem,
    decide,
)
from palermo.api.auth import app_cache, optional_viewer, store_of
from palermo.api.read_purpose import session_purpose
from palermo.api.review_routes import report_status
from palermo.store.views import Entity
from palermo.web.csrf import csrf_protect
from palermo.web.render import page

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PAGE = 20
MAX_FIELD = 1000  # record ids and reasons longer than this are not ours


async def _queue(request: Request, viewer: Viewer) -> list[ReviewItem]:
    cache = app_cache(request, "review", ReviewCache)
    return await run_in_threadpool(cache.for_viewer, viewer)


async def _render(
    request: Request, items: list[ReviewItem], offset: int, error: str = "", status: int = 200
) -> Response:
    rows, held = await run_in_threadpool(_for_session, request, items[offset : offset + PAGE])
    response = page(
        request,
        "review.html",
        rows=rows,
        held_rows=held,
        total=len(items),
        offset=offset,
        previous_offset=max(offset - PAGE, 0) if offset else None,
        next_offset=offset + PAGE if offset + PAGE < len(items) else None,
        actions=ACTIONS,
        thresholds=(REJECT_THRESHOLD, LINK_THRESHOLD),
        error=error,
    )
    response.status_code = status
    return response


def _for_session(request: Request, rows: list[ReviewItem]) -> tuple[list[ReviewItem], list[Entity]]:
    """The page's pairs as the session's purpose may show them (`review_purpose`: values,
    captions, features and explanations another agency stated for other purposes go), and
    the records so cut, for the withheld note (ADR 0051)."""
    viewer = optional_viewer(request)
    if viewer is None or not rows:
        return rows, []
    purpose = session_purpose(request)
    status = report_status(request, viewer, purpose, rows)
    return review_purpose.for_purpose(store_of(request), viewer, rows, purpose, status)


@router.get("/review", response_class=HTMLResponse)
async def review_page(request: Request, offset: int = 0) -> Response:
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    try:
        items = await _queue(request, viewer)
    except AccessDenied as exc:
        return await _render(request, [], 0, str(exc), 403)
    return await _render(request, items, max(offset, 0))


@router.post("/review/judge", response_class=HTMLResponse)
async def review_judge(
    request: Request,
    left: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    right: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    judgement: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    reason: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    offset: Annotated[int, Form(ge=0)] = 0,
) -> Response:
    viewer = optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    store = store_of(request)
    try:
        await run_in_threadpool(decide, store, viewer, left, right, judgement, reason)
    except (ValueError, AccessDenied) as exc:
        status = 403 if isinstance(exc, AccessDenied) else 400
        try:
            items = await _queue(request, viewer)
        except AccessDenied:
            items = []
        return await _render(request, items, offset, str(exc), status)
    return RedirectResponse(f"/review?offset={offset}", status_code=303)
