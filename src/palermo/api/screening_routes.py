"""Screening over HTTP: one document, one person, or a whole passenger manifest.

Every screening is audited under the caller with what was asked and what came back: the
name or number screened, the ids of the candidates or reports returned (a candidate list is
a read of those records), and for a manifest the names screened, how many were flagged and
every candidate id. A manifest has at most MAX_MANIFEST_ROWS rows.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from palermo.access.viewer import Viewer
from palermo.api.auth import app_cache, current_viewer, store_of
from palermo.api.fast_json import OrjsonResponse
from palermo.api.heap import build_once
from palermo.api.problems import problem
from palermo.api.read_purpose import HeaderPurpose, screening_declared
from palermo.api.schemas import LINE, SHORT
from palermo.coordination import hit_notices, screening_notices
from palermo.match import manifest as manifests
from palermo.match.screening import (
    SCREENING_THRESHOLD,
    Candidate,
    DocumentCheck,
    ScreeningIndex,
)
from palermo.match.screening_purpose import screening_purpose
from palermo.match.service import IndexCache

router = APIRouter(prefix="/api/v1/screening", tags=["screening"])
MAX_MANIFEST_ROWS = 5_000
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
# Told to the owner of any other agency's record the screening hits (coordination/hit_notices).
# H0 (ADR 0041): a coded purpose (investigation, ...) is also the screening's H0 purpose;
# any other text screens for "screening". Values whose H0 excludes it are withheld from the
# answer (the hit is still reported) and their owner is told.
Purpose = Annotated[
    str | None,
    Field(
        max_length=hit_notices.MAX_PURPOSE,
        description="Why you screen; told to the owners of records hit. A coded purpose "
        "(e.g. investigation) is also the H0 purpose; other text screens for 'screening'. "
        "Values whose H0 excludes it are withheld from the answer.",
        examples=["border check"],
    ),
]


class DocumentIn(BaseModel):
    number: str = Field(min_length=1, max_length=SHORT, examples=["L898902C3"])
    purpose: Purpose = None


class DocumentOut(BaseModel):
    number: str
    status: str = Field(description="clear, or stolen / lost / forged / revoked ...")
    agencies: list[str]
    age_days: int | None = Field(description="Days since the oldest report")


class PersonIn(BaseModel):
    name: str = Field(min_length=1, max_length=LINE, examples=["Олександр Волков"])
    birth_date: str | None = Field(None, max_length=SHORT, examples=["1983-04-12"])
    nationality: str | None = Field(None, max_length=SHORT, examples=["ua"])
    sex: str | None = Field(None, max_length=SHORT, examples=["M"])
    document_number: Annotated[str | None, Field(max_length=SHORT)] = None
    purpose: Purpose = None


class FeatureOut(BaseModel):
    name: str
    score: float
    explanation: str


class CandidateOut(BaseModel):
    id: str
    names: list[str]
    agency: str
    score: float
    features: list[FeatureOut]
    flags: list[str]


class PassengerOut(BaseModel):
    row: int
    name: str
    risk: float
    reasons: list[str]
    document_status: str | None
    candidates: list[CandidateOut]


class ManifestOut(BaseModel):
    passengers: list[PassengerOut]
    errors: list[dict[str, Any]]


class ManifestIn(BaseModel):
    passengers: list[dict[str, Any]] = Field(
        max_length=MAX_MANIFEST_ROWS,
        examples=[
            [
                {
                    "name": "WOLKOW Aleksandr",
                    "birth_date": "1983-04-12",
                    "document_number": "FP123456",
                }
            ]
        ],
    )
    purpose: Purpose = None


async def cached_index(request: Request, viewer: Viewer) -> ScreeningIndex:
    """The viewer's index; built in a worker thread the first time (it reads the store)."""
    index = app_cache(request, "screening", IndexCache).cached(viewer)
    if index is not None:
        return index
    return await run_in_threadpool(index_for, request, viewer)


def for_purpose(index: ScreeningIndex, declared: str | None) -> ScreeningIndex:
    """The index answering for the screening's H0 purpose: the declared one when it is a
    coded purpose, else ``screening`` (`match.screening_purpose`, ADR 0041)."""
    return index.for_purpose(screening_purpose(declared))


def index_for(request: Request, viewer: Viewer) -> ScreeningIndex:
    cache = app_cache(request, "screening", IndexCache)
    return build_once(lambda: cache.cached(viewer), lambda: cache.for_viewer(viewer))


def candidate_out(c: Candidate) -> CandidateOut:
    return CandidateOut(**candidate_dict(c))


def candidate_dict(c: Candidate) -> dict[str, Any]:
    """A candidate as `CandidateOut` shapes it, as plain JSON-ready values (the hot route
    sends this through orjson without building and validating models)."""
    return {
        "id": c.person.id,
        "names": list(c.person.names),
        "agency": c.person.agency,
        "score": c.score.value,
        "features": [
            {"name": f.name, "score": f.score, "explanation": f.explanation}
            for f in c.score.features
        ],
        "flags": list(c.flags),
    }


@router.post("/document", response_model=DocumentOut)
async def check_document(
    request: Request, viewer: CurrentViewer, body: DocumentIn, declared: HeaderPurpose = ""
) -> OrjsonResponse:
    """Is this travel document reported stolen, lost, revoked or forged? The H0 purpose is
    the ``Palermo-Purpose`` header's when sent (it wins over the body's ``purpose``, as on
    every read), else the body's when coded, else ``screening``; the owners of reports hit
    are told the body's ``purpose``, else the header's (`read_purpose.screening_declared`)."""
    h0, told = screening_declared(declared, body.purpose, request)
    index = for_purpose(await cached_index(request, viewer), h0)
    check = index.check_document(body.number)
    audited = ("screen.document", check.number, document_audit(check))
    # The audit row goes in with the hit notices, one commit (ADR 0052); a miss's alone,
    # in the same writer's next batch, so hits and misses share transactions (ADR 0031,
    # amendment). Waited for on the loop: a thread writes only when this request leads.
    hit_ids = [h.entity_id for h in check.hits]
    await screening_notices.notify_async(store_of(request), viewer, index, hit_ids, told, audited)
    return OrjsonResponse(document_dict(check))


def document_audit(check: DocumentCheck) -> dict[str, Any]:
    """The audit detail of a document check: its status and the reports it returned."""
    return {"status": check.status, "reports": sorted({h.entity_id for h in check.hits})}


def document_out(check: DocumentCheck) -> DocumentOut:
    return DocumentOut(**document_dict(check))


def document_dict(check: DocumentCheck) -> dict[str, Any]:
    """The answer as `DocumentOut` shapes it, as plain values for `OrjsonResponse`."""
    return {
        "number": check.number,
        "status": check.status,
        "agencies": sorted({h.agency for h in check.hits}),
        "age_days": check.age_days(date.today()),
    }


@router.post("/person", response_model=list[CandidateOut])
def screen_person(
    request: Request, viewer: CurrentViewer, body: PersonIn, declared: HeaderPurpose = ""
) -> OrjsonResponse:
    """Ranked candidates (any script, typos, date errors) with a per-feature explanation.
    The H0 purpose is the ``Palermo-Purpose`` header's when sent (it wins over the body's
    ``purpose``, as on every read), else the body's when coded, else ``screening``; the
    owners of records hit are told the body's ``purpose``, else the header's
    (`read_purpose.screening_declared`, as the document check)."""
    h0, told = screening_declared(declared, body.purpose, request)
    found = person_candidates(request, viewer, body.model_copy(update={"purpose": told}), h0)
    return OrjsonResponse([candidate_dict(c) for c in found])


def person_candidates(
    request: Request, viewer: Viewer, body: PersonIn, h0: str | None
) -> list[Candidate]:
    """A person screening as the API and the page answer it: screened for its H0 purpose
    ``h0`` (`for_purpose`), audited with the candidates returned, and every hit told to its
    owner with the body's ``purpose``."""
    row = body.model_dump()
    query = manifests.passenger(row, 0)
    index = for_purpose(index_for(request, viewer), h0)
    found = index.screen(query, limit=20, threshold=SCREENING_THRESHOLD)
    ids = [c.person.id for c in found]
    audited = ("screen.person", body.name, {"hits": len(found), "candidates": ids})
    # the audit row is committed with the hit notices, in one transaction (ADR 0052)
    screening_notices.notify(store_of(request), viewer, index, ids, body.purpose, audited)
    return found


@router.post("/manifest", response_model=ManifestOut)
def screen_manifest(
    request: Request, viewer: CurrentViewer, body: ManifestIn, declared: HeaderPurpose = ""
) -> ManifestOut:
    """Screen a passenger list; passengers come back sorted by risk, bad rows as errors.
    The H0 purpose is the ``Palermo-Purpose`` header's when sent (it wins over the body's
    ``purpose``, as on every read), else the body's when coded, else ``screening``; the
    owners of records hit are told the body's ``purpose``, else the header's
    (`read_purpose.screening_declared`, as the document check)."""
    rows = [(n, p) for n, p in enumerate(body.passengers, start=1)]
    h0, told = screening_declared(declared, body.purpose, request)
    return _manifest(request, viewer, rows, h0, told)


@router.post("/manifest.csv", response_model=ManifestOut)
async def screen_manifest_csv(
    request: Request,
    viewer: CurrentViewer,
    purpose: Annotated[str | None, Query(max_length=hit_notices.MAX_PURPOSE)] = None,
    declared: HeaderPurpose = "",
) -> ManifestOut | Response:
    """The same for a CSV body (columns name, birth_date, nationality, sex, document_number),
    its ``purpose`` a query parameter: the ``Palermo-Purpose`` header's purpose, when sent,
    wins over the query's ``purpose`` for H0, by the same rule as the JSON manifest."""
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        return problem(422, "Invalid request", "body: not UTF-8 text", field="body")
    # parsing up to MAX_MANIFEST_ROWS rows, screening them and writing the audit row and
    # notices are blocking work: in a thread, as the JSON manifest route (a plain ``def``)
    # runs, so the event loop keeps answering other requests meanwhile
    rows = await run_in_threadpool(manifests.read_csv, text)
    if len(rows) > MAX_MANIFEST_ROWS:
        return problem(422, "Invalid request", too_many(len(rows)), field="passengers")
    h0, told = screening_declared(declared, purpose, request)
    return await run_in_threadpool(_manifest, request, viewer, rows, h0, told)


def too_many(count: int) -> str:
    return f"passengers: {count} rows, more than the limit of {MAX_MANIFEST_ROWS} per manifest"


def _manifest(
    request: Request,
    viewer: Viewer,
    rows: list[tuple[int, Any]],
    h0: str | None,
    told: str | None,
) -> ManifestOut:
    """A manifest screened for the H0 purpose ``h0``, audited, and every hit told to its
    owner with ``told``: the audit row goes in with the notices, one commit (ADR 0052)."""
    if len(rows) > MAX_MANIFEST_ROWS:
        raise ValueError(too_many(len(rows)))
    index = for_purpose(index_for(request, viewer), h0)
    result = manifests.screen_manifest(index, rows)
    audited = ("screen.manifest", f"{len(rows)} passengers", manifest_audit(result))
    hits = screening_notices.manifest_hits(result)
    screening_notices.notify(store_of(request), viewer, index, hits, told, audited)
    return ManifestOut(
        passengers=[
            PassengerOut(
                row=p.row,
                name=p.passenger.names[0],
                risk=p.risk,
                reasons=p.reasons,
                document_status=p.document.status if p.document else None,
                candidates=[candidate_out(c) for c in p.candidates],
            )
            for p in result.passengers
        ],
        errors=[e.__dict__ for e in result.errors],
    )


def manifest_audit(result: manifests.ManifestResult) -> dict[str, Any]:
    """Who was screened and what came back: names, flagged count, candidate ids."""
    return {
        "names": [p.passenger.names[0] for p in result.passengers if p.passenger.names],
        "flagged": sum(1 for p in result.passengers if p.risk > 0),
        "candidates": sorted({c.person.id for p in result.passengers for c in p.candidates}),
        "bad_rows": [e.row for e in result.errors],
    }


xref_router = APIRouter(prefix="/api/v1/xref", tags=["cross-referencing"])


class JudgementIn(BaseModel):
    left: str
    right: str
    judgement: str = Field(examples=["confirm", "reject", "unsure"])
    reason: str = ""


class XrefOut(BaseModel):
    identities: list[list[str]]
    links: list[dict[str, Any]]
    hits: list[dict[str, Any]]


@xref_router.post("/run", response_model=XrefOut)
def run_xref(
    request: Request,
    viewer: CurrentViewer,
    threshold: float = 0.9,
    purpose: Annotated[str | None, Query(max_length=hit_notices.MAX_PURPOSE)] = None,
) -> XrefOut:
    """Resolve every person record the caller may see into identities; notify hits."""
    from palermo.match.resolution import cross_reference

    result, hits = cross_reference(store_of(request), viewer, threshold)
    linked = [record for h in hits for record in (h.left, h.right)]
    hit_notices.notify_ids(store_of(request), viewer, linked, "xref", purpose)
    return XrefOut(
        identities=[c for c in result.clusters if len(c) > 1],
        links=[
            {
                "left": lk.left,
                "right": lk.right,
                "probability": lk.probability,
                "weights": lk.weights,
                "judged": lk.judged,
            }
            for lk in result.links
        ],
        hits=[h.__dict__ for h in hits],
    )


@xref_router.post("/judgements", tags=["cross-referencing"])
def add_judgement(request: Request, viewer: CurrentViewer, body: JudgementIn) -> dict[str, str]:
    """Confirm, reject or mark unsure a pair; every later run respects it."""
    from palermo.match.resolution import judge

    return {
        "id": judge(store_of(request), viewer, body.left, body.right, body.judgement, body.reason)
    }
