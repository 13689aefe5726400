"""The identity review queue over HTTP: `GET /api/v1/review` (issue 15).

The queue is the caller's own (`analysis.review`): the pairs of the caller's view's ledger
(ADR 0046), only pairs of records the caller may see, what most needs an analyst first;
each item names its source ("ledger" or, for a view never resolved, "batch") and each
side's identity. Decisions go through `POST /api/v1/xref/judgements`, the same
`resolution.judge` the web page uses; a judgement is a write, so the cached queue drops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from palermo.access.viewer import AccessDenied, Viewer
from palermo.analysis import review_purpose
from palermo.analysis.review import LINK_THRESHOLD, REJECT_THRESHOLD, ReviewCache, ReviewItem
from palermo.api.auth import app_cache, current_viewer, store_of
from palermo.api.read_purpose import DeclaredPurpose

router = APIRouter(prefix="/api/v1/review", tags=["cross-referencing"])
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
MAX_PAGE = 200


@router.get("")
async def review_queue(
    request: Request,
    viewer: CurrentViewer,
    purpose: DeclaredPurpose,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
) -> dict[str, Any]:
    """Candidate pairs between the reject and link thresholds and links flagged for review,
    minus decided pairs, each with both records' visible values and the score's features,
    as the declared purpose may show them (H0, ADR 0051): values, features and explanations
    resting on another agency's values stated for other purposes are left out, and
    ``withheld`` names record -> prop -> whom to ask."""
    cache = app_cache(request, "review", ReviewCache)
    items = await run_in_threadpool(cache.for_viewer, viewer)
    page = items[offset : offset + limit]
    store = store_of(request)
    status = await run_in_threadpool(report_status, request, viewer, purpose, page)
    args = (store, viewer, page, purpose, status)
    shown, held = await run_in_threadpool(review_purpose.for_purpose, *args)
    return {
        "total": len(items),
        "offset": offset,
        "thresholds": {"reject": REJECT_THRESHOLD, "link": LINK_THRESHOLD},
        "purpose": purpose or None,
        "items": [{**asdict(i), "joined": i.joined} for i in shown],
        "withheld": {e.id: e.withheld for e in held},
    }


def report_status(
    request: Request, viewer: Viewer, purpose: str, items: list[ReviewItem]
) -> Callable[[str], str] | None:
    """A document number's report status as ``purpose`` may read it (the viewer's screening
    index for that purpose), for the review flags of ``items``; None when none is flagged
    (the index is not built for nothing)."""
    if not any(i.review for i in items):
        return None
    from palermo.api.screening_routes import index_for

    try:
        index = index_for(request, viewer).for_purpose(purpose)
    except AccessDenied:  # a role without screening: every flag loses its details
        return None
    return lambda number: index.check_document(number).status
