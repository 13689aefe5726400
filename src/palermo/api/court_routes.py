"""Correcting and retracting a court outcome over HTTP, and reading its history (issue 20).

`POST /api/v1/court-outcomes/{id}/correct` and `.../retract` call
`coordination.court_changes`, the functions the web forms call: the same check as recording
(`court.check`, the ICCS code against the form of exploitation included), a reason always,
only the recording agency (403), a 404 for an outcome the caller cannot read, a 422 naming
the field otherwise. A correction's body gives the values that change; a value left out
keeps what the outcome says, an empty string clears an optional one. Each is one audited
write (``court.correct`` / ``court.retract``) that also writes the outcome's history record.
`GET .../history` lists those records as the caller reads them for its declared purpose.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from palermo.access.viewer import Viewer
from palermo.api.auth import current_viewer, store_of
from palermo.api.problems import problem
from palermo.api.read_purpose import DeclaredPurpose
from palermo.api.schemas import SHORT
from palermo.coordination import court, court_changes
from palermo.store.views import Entity

router = APIRouter(prefix="/api/v1", tags=["glotip"])
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
OUTCOME = "/court-outcomes/{outcome_id:path}"


class CorrectionIn(BaseModel):
    verdict: str | None = Field(None, max_length=SHORT, description=", ".join(court.VERDICTS))
    prosecution_date: str | None = Field(None, max_length=SHORT, examples=["2024-03-01"])
    verdict_date: str | None = Field(None, max_length=SHORT, examples=["2024-11-20"])
    offence_code: str | None = Field(None, max_length=SHORT,
                                     description=", ".join(court.OFFENCE_CODES))  # fmt: skip
    exploitation_form: str | None = Field(None, max_length=SHORT, examples=["forced-labour"])
    court: str | None = Field(None, max_length=court.LINE)
    reason: str = Field(max_length=court_changes.REASON, examples=["verdict date misread"])


class RetractionIn(BaseModel):
    reason: str = Field(max_length=court_changes.REASON, examples=["recorded for the wrong case"])


class ChangeOut(BaseModel):
    id: str = Field(description="the court outcome")
    change_id: str = Field(description="the CourtOutcomeChange record written")
    change: str = Field(examples=["corrected", "retracted"])
    changed: list[str] = Field(examples=[["verdict: pending -> convicted"]])


class HistoryOut(BaseModel):
    id: str
    change: str
    changed: list[str]
    reason: str
    changed_by: str
    changed_at: str
    agency: str


def refused(exc: ValueError) -> JSONResponse:
    text = str(exc).splitlines()[0]
    return problem(422, "Invalid request", text, field=text.split(":", 1)[0])


@router.post(f"{OUTCOME}/correct", summary="Correct a court outcome the agency recorded",
             response_model=ChangeOut)  # fmt: skip
def correct(request: Request, viewer: CurrentViewer, outcome_id: str, body: CorrectionIn) -> Any:
    """Values left out keep what the outcome says; the result passes the recording check
    again. The old values are retracted, not erased, and the history keeps them."""
    store = store_of(request)
    try:
        _, own = court_changes.own_outcome(store, viewer, outcome_id)
        now = court_changes.current_input(own)
        given = body.model_dump(exclude_unset=True, exclude={"reason"})
        values = court.CourtOutcomeInput(
            now.defendant,
            *((given.get(f) if given.get(f) is not None else getattr(now, f)) or ""
              for f in court_changes.FIELDS),
        )  # fmt: skip
        return court_changes.correct_court_outcome(
            store, viewer, outcome_id, values, body.reason
        ).to_json()
    except ValueError as exc:
        return refused(exc)


@router.post(f"{OUTCOME}/retract", summary="Retract a court outcome the agency recorded",
             response_model=ChangeOut)  # fmt: skip
def retract(request: Request, viewer: CurrentViewer, outcome_id: str, body: RetractionIn) -> Any:
    """The outcome stops existing for every reader (and stops counting in the GLOTIP
    submission); its history record keeps what it said, who withdrew it and why."""
    try:
        change = court_changes.retract_court_outcome(
            store_of(request), viewer, outcome_id, body.reason
        )
    except ValueError as exc:
        return refused(exc)
    return change.to_json()


@router.get(f"{OUTCOME}/history", summary="A court outcome's corrections and retraction",
            response_model=list[HistoryOut])  # fmt: skip
def history(
    request: Request, viewer: CurrentViewer, outcome_id: str, purpose: DeclaredPurpose = ""
) -> Any:
    """Oldest first; readable after a retraction, as the caller reads the records."""
    viewer.require_data_role("read entity data")
    found = court_changes.history(store_of(request).for_purpose(purpose), viewer, outcome_id)
    return [history_out(c) for c in found]


def history_out(c: Entity) -> HistoryOut:
    """One `CourtOutcomeChange` record as the API shows it (here and on the case)."""
    return HistoryOut(
        id=c.id,
        change=c.first("change") or "",
        changed=(c.first("changed") or "").splitlines(),
        reason=c.first("reason") or "",
        changed_by=c.first("changedBy") or "",
        changed_at=c.first("changedAt") or "",
        agency=", ".join(sorted(c.agencies)),
    )
