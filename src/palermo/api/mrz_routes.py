"""``POST /api/v1/screening/mrz``: check a machine-readable zone and screen its number.

The zone's check digits, dates, state codes and expiry are checked first (a zone that
cannot be read or has an unsupported layout is a 422 naming ``mrz``); its document number
then goes through the same stolen/lost/revoked lookup as ``/screening/document``. Audited
like every screening, under the caller, with the outcome and the reports returned; the
owner of every other agency's report hit gets a hit notice, as from the document check,
and the audit row is committed in the notices' transaction (one commit, ADR 0052).
Its ``purpose`` is the document check's: told to the owners of reports hit, and the H0
purpose of the answer when it is a coded purpose (else ``screening``), so a report status
stated for other purposes reads ``withheld`` (ADR 0041, ADR 0051 amendment). Like every
read it also takes the ``Palermo-Purpose`` header, which wins for the H0 purpose.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from palermo.access.viewer import Viewer
from palermo.api.auth import current_viewer, store_of
from palermo.api.problems import problem
from palermo.api.read_purpose import HeaderPurpose, screening_declared
from palermo.api.screening_routes import DocumentOut, Purpose, cached_index, for_purpose
from palermo.coordination import screening_notices
from palermo.match.mrz import MRZError
from palermo.match.mrz_check import MAX_MRZ_CHARS, read_mrz, screen_mrz

router = APIRouter(prefix="/api/v1/screening", tags=["screening"])
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
SPECIMEN = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
)


class MRZIn(BaseModel):
    mrz: str = Field(
        min_length=1,
        max_length=MAX_MRZ_CHARS,
        description=(
            "The zone's 2 (TD2, TD3, MRV-A, MRV-B, FR-ID) or 3 (TD1) lines, separated by "
            "line breaks"
        ),
        examples=[SPECIMEN],
    )
    purpose: Purpose = None


class MRZProblemOut(BaseModel):
    field: str
    reason: str


class MRZOut(BaseModel):
    verdict: str = Field(description="valid, invalid (failed checks or expired) or reported")
    valid: bool
    expired: bool
    layout: str = Field(description="The layout read: TD1, TD2, TD3, MRV-A, MRV-B or FR-ID")
    format: str = Field(description="The same as layout (kept for earlier clients)")
    document_type: str
    issuing_state: str
    document_number: str
    surname: str
    given_names: str
    nationality: str
    birth_date: str | None
    sex: str
    expiry_date: str | None = Field(description="None where the zone has none (FR-ID)")
    issue_month: str | None = Field(description="YYYY-MM, where the zone has it (FR-ID)")
    optional_data: str
    problems: list[MRZProblemOut]
    document: DocumentOut


@router.post("/mrz", response_model=MRZOut)
async def check_mrz(
    request: Request, viewer: CurrentViewer, body: MRZIn, declared: HeaderPurpose = ""
) -> MRZOut | Response:
    """Check a passport, ID card or visa MRZ (ICAO 9303 TD1/TD2/TD3/MRV-A/MRV-B, and the
    French identity card): check digits, dates, expiry, state codes; then whether its
    document is reported stolen, lost, revoked or forged. The answer names the layout read;
    a driving licence or unknown layout is a 422 naming ``mrz``. The H0 purpose is the
    ``Palermo-Purpose`` header's when sent (it wins over the body's ``purpose``, as on every
    read), else the body's when coded, else ``screening``; the owners of reports hit are
    told the body's ``purpose``, else the header's."""
    try:
        zone = read_mrz(body.mrz)
    except MRZError as exc:
        return problem(422, "Invalid request", f"mrz: {exc}", field="mrz")
    # H0 as the document check: header, else the body's if coded, else "screening" (ADR 0041)
    h0, told = screening_declared(declared, body.purpose, request)
    index = for_purpose(await cached_index(request, viewer), h0)
    check = screen_mrz(index, zone)
    audited = ("screen.mrz", check.document.number, check.audit_detail())
    # the owner of every report hit is told (screening_notices); the audit row goes in
    # with the hit notices: one commit (ADR 0052)
    if check.document.hits:
        hit_ids = [h.entity_id for h in check.document.hits]
        args = (store_of(request), viewer, index, hit_ids, told, audited)
        await run_in_threadpool(screening_notices.notify, *args)
    else:
        await store_of(request).audit_event_async(viewer, *audited)
    return MRZOut.model_validate(check.as_dict())
