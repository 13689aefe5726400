"""API for corrections: retract, replace or narrow the sharing of one of the caller
agency's own values, keeping the history (see :mod:`palermo.store.corrections`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from palermo.access.viewer import Viewer
from palermo.api.auth import current_viewer, store_of
from palermo.api.schemas import LINE, SHORT, TEXT
from palermo.ingest.audiences import checked_sharing
from palermo.store import corrections

router = APIRouter(prefix="/api/v1")
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


class CorrectionIn(BaseModel):
    action: str = Field(examples=["retract", "replace", "share"], max_length=SHORT)
    prop: str = Field(examples=["birthDate"], max_length=SHORT)
    value: str = Field(examples=["1980-03-02"], description="the current value", max_length=TEXT)
    new_value: str | None = Field(
        None, examples=["1980-02-03"], description="replace: the new value", max_length=TEXT
    )
    sharing: str | None = Field(
        None,
        examples=["NL-KMAR|no-onward"],
        description="share: the narrower sharing (AUDIENCE|HANDLING)",
        max_length=LINE,
    )


class CorrectionOut(BaseModel):
    entity_id: str
    prop: str
    action: str
    retracted: int
    asserted: int


@router.post(
    "/entities/{entity_id:path}/corrections", response_model=CorrectionOut, tags=["entities"]
)
def correct(
    request: Request, viewer: CurrentViewer, entity_id: str, body: CorrectionIn
) -> dict[str, Any]:
    """Retract a value, replace it (`new_value`) or narrow its sharing (`sharing`).

    Only the agency that said the value may correct it (403); the old value is retracted,
    not erased, and the retraction reaches every peer the value reached. A `share`
    correction may only narrow: a wider sharing is a 400 naming `sharing`."""
    store = store_of(request)
    sharing = None
    if body.sharing is not None:
        sharing = checked_sharing(store, body.sharing, "sharing")
    outcome = corrections.correct(
        store, viewer, entity_id, body.prop, body.value, body.action, body.new_value, sharing
    )
    return outcome.to_json()
