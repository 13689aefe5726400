"""Retention and review over HTTP: ``/api/v1/retention`` (coordination/retention.py).

``GET`` lists the caller agency's records at review (only its own, selected in the query);
``POST /{entity_id}/keep`` and ``/{entity_id}/erase`` record the owner's decision with its
reason (both audited); a record of another agency is a 404 like one that is not due.
``GET /periods`` shows the coded periods. The sweep runs in the node's worker.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from palermo.access.viewer import Viewer
from palermo.api.auth import current_viewer, store_of
from palermo.coordination import retention

router = APIRouter(prefix="/api/v1/retention", tags=["retention"])
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


class DecisionIn(BaseModel):
    reason: str = Field(min_length=1, max_length=retention.MAX_REASON)


class KeepIn(DecisionIn):
    years: float | None = Field(default=None, gt=0, description="default: one review period")


@router.get("")
async def review_queue(request: Request, viewer: CurrentViewer) -> list[dict[str, Any]]:
    """This agency's records that reached their review, the earliest due first."""
    found = await run_in_threadpool(retention.queued, store_of(request), viewer)
    return [i.to_json() for i in found]


@router.get("/periods")
async def periods(viewer: CurrentViewer) -> list[dict[str, Any]]:
    """The coded review and maximum periods (years) per jurisdiction and data kind."""
    viewer.require_data_role("read retention periods")
    return [j.to_json() for j in retention.jurisdictions().values()]


@router.post("/{entity_id}/keep")
async def keep(
    request: Request, entity_id: str, body: KeepIn, viewer: CurrentViewer
) -> dict[str, Any]:
    """Keep the record for another review period, or fewer ``years`` (never past its
    maximum)."""
    item = await run_in_threadpool(
        retention.keep, store_of(request), viewer, entity_id, body.reason, None, body.years
    )
    return item.to_json()


@router.post("/{entity_id}/erase")
async def erase(
    request: Request, entity_id: str, body: DecisionIn, viewer: CurrentViewer
) -> dict[str, Any]:
    """Erase the record now: this agency's values of it are retracted here and at peers."""
    count = await run_in_threadpool(
        retention.erase, store_of(request), viewer, entity_id, body.reason
    )
    return {"entity_id": entity_id, "retracted": count}
