"""The GLOTIP submission and court outcomes over HTTP (issue 20, ADR 0028 amendment).

`GET /api/v1/glotip/submission` is `palermo analyze glotip-submission` as a call: the same
`analysis.glotip_submission.from_store`, so the same rules (the caller agency's own records,
victim tables only for the victim-support role, "<5" for 1 to 4), as JSON, CSV or XLSX.
`.../trace` names the records behind one cell, each read again through the store as the
caller, so an id the caller may not read can never come back even if a count were wrong.
Both audit their own call with the ids they returned, as the analysis routes do (the
store's reads under them are audited too).

`POST /api/v1/court-outcomes` records one court outcome through `coordination.court`, the
function the web form calls: the same checks, the same words.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from palermo.access.viewer import Viewer
from palermo.analysis import glotip_submission as gs
from palermo.api.auth import current_viewer, store_of
from palermo.api.problems import problem
from palermo.api.schemas import ID, LINE, SHORT
from palermo.coordination import court
from palermo.ingest.audiences import checked_sharing
from palermo.store.store import Store
from palermo.store.views import Entity

router = APIRouter(prefix="/api/v1", tags=["glotip"])
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
Year = Annotated[int, Query(ge=2000, le=2100, description="the reference year", examples=[2024])]
CELL_EXAMPLE = "Persons convicted/Total/Total/Total/Total"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AUDITED_IDS = 200  # ids kept in one audit row's detail; the count is always complete


class CellOut(BaseModel):
    cell: str = Field(description="INDICATOR/DIMENSION/CATEGORY/SEX/AGE, for the trace",
                      examples=[CELL_EXAMPLE])  # fmt: skip
    indicator: str
    dimension: str
    category: str
    sex: str
    age: str
    value: str = Field(description='as published: "<5" for 1 to 4', examples=["<5", "12"])


class SubmissionOut(BaseModel):
    agency: str
    country: str = Field(description="ISO 3166 alpha-3", examples=["DEU"])
    year: int
    cells: list[CellOut]
    withheld: list[str] = Field(description="tables left out, and why")


class TracedRecord(BaseModel):
    id: str
    schema_: str = Field(alias="schema")
    caption: str


class TraceOut(BaseModel):
    cell: str
    value: str
    records: list[TracedRecord]


class CourtOutcomeIn(BaseModel):
    defendant: str = Field(max_length=ID, examples=["de-bka.BKA-ST-0000003"])
    verdict: str = Field(max_length=SHORT, description=", ".join(court.VERDICTS))
    prosecution_date: str = Field(max_length=SHORT, examples=["2024-03-01"])
    verdict_date: str = Field("", max_length=SHORT, examples=["2024-11-20"])
    offence_code: str = Field("0204", max_length=SHORT, description=", ".join(court.OFFENCE_CODES))
    exploitation_form: str = Field("", max_length=SHORT, examples=["sexual-exploitation"])
    court: str = Field("", max_length=court.LINE)
    sharing: str = Field("", max_length=LINE, description="default: the caller's agency only")


def cell_name(key: gs.CellKey) -> str:
    return "/".join((key.indicator, key.dimension, key.category, key.sex, key.age))


def cell_out(cell: gs.Cell) -> CellOut:
    k = cell.key
    return CellOut(cell=cell_name(k), indicator=k.indicator, dimension=k.dimension,
                   category=k.category, sex=k.sex, age=k.age, value=cell.text)  # fmt: skip


def audit(request: Request, viewer: Viewer, action: str, target: str, **detail: Any) -> None:
    """One audit row for the call, with a bounded list of the ids it rests on."""
    ids = detail.pop("ids", [])
    detail |= {"count": len(ids), "ids": ids[:AUDITED_IDS]}
    store_of(request).audit_event(viewer, f"glotip.{action}", target, detail)


def invalid(field: str, text: str) -> JSONResponse:
    return problem(422, "Invalid request", text, field=field)


def submission_of(request: Request, viewer: Viewer, year: int) -> gs.Submission:
    return gs.from_store(store_of(request), viewer, year)


@router.get(
    "/glotip/submission",
    summary="The agency's GLOTIP questionnaire tables for a year (JSON, CSV or XLSX)",
    response_model=SubmissionOut,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
def submission(
    request: Request,
    viewer: CurrentViewer,
    year: Year,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Any:
    """Counted from the caller agency's own records only (victims, suspects, court
    outcomes); the victim tables need the victim-support role and are otherwise listed
    under ``withheld``. CSV and XLSX are in the layout of UNODC's GLOTIP export."""
    sub = submission_of(request, viewer, year)
    ids = sorted({r for c in sub.cells for r in c.records})
    audit(request, viewer, "submission", f"year {year}", format=format, cells=len(sub.cells),
          withheld=len(sub.withheld), ids=ids)  # fmt: skip
    name = f"glotip-{sub.agency}-{year}"
    if format == "csv":
        disposition = {"content-disposition": f'attachment; filename="{name}.csv"'}
        return Response(gs.to_csv(sub), media_type="text/csv", headers=disposition)
    if format == "xlsx":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{name}.xlsx"
            gs.write_xlsx(sub, path)
            disposition = {"content-disposition": f'attachment; filename="{name}.xlsx"'}
            return Response(path.read_bytes(), media_type=XLSX, headers=disposition)
    return SubmissionOut(
        agency=sub.agency,
        country=sub.country.iso3,
        year=year,
        cells=[cell_out(c) for c in sub.cells],
        withheld=sub.withheld,
    )


def readable_records(store: Store, viewer: Viewer, cell: gs.Cell) -> list[Entity]:
    """The cell's records as the caller reads them now, in the cell's order: an id the
    store does not show the caller is dropped, whatever the count said."""
    ids = list(cell.records)
    readable = {e.id: e for e in store.entities(viewer, ids=ids, limit=len(ids), purpose=None)}
    return [readable[r] for r in ids if r in readable]


def traced(request: Request, viewer: Viewer, year: int, cell: str) -> TraceOut | JSONResponse:
    """The cell's records as the caller reads them now, or a problem naming the field."""
    try:
        key = gs.parse_cell(cell)
    except ValueError as exc:
        return invalid("cell", "cell" + str(exc).removeprefix("--trace"))
    sub = submission_of(request, viewer, year)
    found = sub.cell(key)
    if found is None:
        text = f"cell: no cell {cell!r} in the {year} submission of {viewer.agency}"
        return problem(404, "Not found", text, field="cell")
    entities = readable_records(store_of(request), viewer, found)
    audit(request, viewer, "trace", cell, year=year, ids=[e.id for e in entities])
    records = [TracedRecord(id=e.id, schema=e.schema, caption=e.caption) for e in entities]
    return TraceOut(cell=cell, value=found.text, records=records)


@router.get(
    "/glotip/submission/trace",
    summary="The records behind one cell of the GLOTIP submission",
    response_model=TraceOut,
)
def trace(
    request: Request,
    viewer: CurrentViewer,
    year: Year,
    cell: Annotated[
        str,
        Query(
            max_length=LINE,
            examples=[CELL_EXAMPLE],
            description="INDICATOR/DIMENSION/CATEGORY/SEX/AGE",
        ),
    ],
) -> Any:
    """Only records the caller may read, each the caller agency's own; a cell not in the
    submission (no record behind it) is 404 naming ``cell``."""
    return traced(request, viewer, year, cell)


@router.post(
    "/court-outcomes",
    summary="Record a court outcome (prosecution, verdict) of one of the agency's suspects",
    status_code=201,
)
def record_court_outcome(request: Request, viewer: CurrentViewer, body: CourtOutcomeIn) -> Any:
    """The check the web form uses (`coordination.court`): a refused value is 422 naming
    the field; a defendant the caller cannot read is 404. Written as the caller's agency,
    shared with it alone unless ``sharing`` names an audience."""
    store = store_of(request)
    values = court.CourtOutcomeInput(
        body.defendant, body.verdict, body.prosecution_date, body.verdict_date,
        body.offence_code, body.exploitation_form, body.court,
    )  # fmt: skip
    try:
        sharing = checked_sharing(store, body.sharing, "sharing") if body.sharing else None
        outcome = court.record_court_outcome(store, viewer, values, sharing)
    except ValueError as exc:
        text = str(exc).splitlines()[0]
        return invalid(text.split(":", 1)[0], text)
    return {"id": outcome}
