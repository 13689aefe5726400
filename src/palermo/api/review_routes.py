"""The identity review queue over HTTP: `GET /api/v1/review` (issue 15).

The queue is the caller's own (`analysis.review`): the pairs of the caller's view's ledger
(ADR 0046), only pairs of records the caller may see, what most needs an analyst first;
each item names its source ("ledger" or, for a view never resolved, "batch") and each
side's identity. Decisions go through `POST /api/v1/xref/judgements`, the same
`resolution.judge` the web page uses; a judgement is a write, so the cached queue drops.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from palermo.access.viewer import Viewer
from palermo.analysis.review import LINK_THRESHOLD, REJECT_THRESHOLD, ReviewCache
from palermo.api.auth import app_cache, current_viewer

router = APIRouter(prefix="/api/v1/review", tags=["cross-referencing"])
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
MAX_PAGE = 200


@router.get("")
async def review_queue(
    request: Request,
    viewer: CurrentViewer,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
) -> dict[str, Any]:
    """Candidate pairs between the reject and link thresholds and links flagged for review,
    minus decided pairs, each with both records' visible values and the score's features."""
    cache = app_cache(request, "review", ReviewCache)
    items = await run_in_threadpool(cache.for_viewer, viewer)
    return {
        "total": len(items),
        "offset": offset,
        "thresholds": {"reject": REJECT_THRESHOLD, "link": LINK_THRESHOLD},
        "items": [{**asdict(i), "joined": i.joined} for i in items[offset : offset + limit]],
    }
