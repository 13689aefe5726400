"""Handling consent over HTTP: ``/api/v1/handling/consents`` (store/handling_consent.py).

``POST`` records that a provider agency consented to a use its Europol handling code
forbids (``court`` under H1) for the caller's agency, with the reference where the consent
is documented (audited, idempotent); ``GET`` lists the consents recorded for the caller's
agency. A bad field is a 400 naming it (ValueError -> RFC 9457 problem).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from palermo.access.viewer import Viewer
from palermo.api.auth import current_viewer, store_of
from palermo.api.schemas import ID, LINE, SHORT
from palermo.store import handling_consent

router = APIRouter(prefix="/api/v1/handling", tags=["handling"])
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


class ConsentIn(BaseModel):
    provider: str = Field(examples=["NL-KMAR"], max_length=SHORT)
    target: str = Field(description="a statement id or an entity id", max_length=ID)
    use: str = Field("court", examples=["court"], max_length=SHORT)
    reference: str = Field(examples=["SIENA 2026/4711"], min_length=1, max_length=LINE)


@router.post("/consents", status_code=201)
async def record(request: Request, body: ConsentIn, viewer: CurrentViewer) -> dict[str, Any]:
    """Record the provider's consent to ``use`` of the target by your agency."""
    consent = await run_in_threadpool(
        handling_consent.record_consent,
        store_of(request),
        viewer,
        body.provider,
        body.target,
        body.use,
        body.reference,
    )
    return consent.to_json()


@router.get("/consents")
async def listed(request: Request, viewer: CurrentViewer) -> list[dict[str, Any]]:
    """The consents recorded for your agency, oldest first."""
    found = await run_in_threadpool(handling_consent.consents_of, store_of(request), viewer)
    return [c.to_json() for c in found]
